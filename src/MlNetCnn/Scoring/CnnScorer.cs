using Microsoft.ML.Runtime;
using MlNetCnn.Native;
using MlNetCnn.Network;
using MlNetCnn.NetworkKinds;
using MlNetCnn.Onnx;
using MlNetCnn.Training;
using static TorchSharp.torch;
using MlNetCnn.Precisions;
using MlNetCnn.Tasks;

namespace MlNetCnn.Scoring;

/// <summary>
/// A trained network's weights in managed memory and the engine that scores with them, made on first use.
/// Scoring is concurrent where the engine allows it. Disposal waits for scoring under way and frees the engine's
/// native memory; the weights stay, so the next score makes the engine again. A server whose prediction engines
/// dispose the shared model (ML.NET's default) keeps working; the owner's Dispose still frees the native memory.
/// </summary>
internal sealed class CnnScorer : IDisposable
{
    private readonly IHost host;
    // Readers score; the writer disposes. Making the engine is serialised on its own.
    private readonly ReaderWriterLockSlim gate = new(LockRecursionPolicy.NoRecursion);
    private readonly object making = new();
    private Running? engine;
    private int engines;
    private bool warnedOfFallback;
    private bool saidPrecision;
    private bool saidThreads;

    public CnnScorer(IHost host, ImageGeometry geometry, TrainedNetwork network, ScoringEngine requested, int? threads, Precision requestedPrecision = Precision.Auto, CnnTask? task = null)
    {
        Task = task ?? CnnTask.Binary;
        network.CheckState(geometry);
        this.host = host;
        Network = network;
        Geometry = geometry;
        Requested = requested;
        Threads = threads;
        RequestedPrecision = requestedPrecision;
    }

    /// <summary>An engine and the precision it computes in, made together.</summary>
    private sealed record Running(IScoringEngine Engine, PrecisionChoice Precision);

    /// <summary>Makes the ONNX Runtime engine; tests replace it to see what happens when ONNX Runtime cannot start.</summary>
    internal static Func<byte[], ImageGeometry, int, int, IScoringEngine> OnnxRuntimeFactory { get; set; } =
        (model, geometry, threads, outputsPerImage) => new OnnxRuntimeEngine(model, geometry, threads, outputsPerImage);

    /// <summary>The trained network.</summary>
    public TrainedNetwork Network { get; }

    /// <summary>What it predicts: the width of its outputs and the ONNX tail.</summary>
    public CnnTask Task { get; }

    public ImageGeometry Geometry { get; }

    /// <summary>The engine asked for.</summary>
    public ScoringEngine Requested { get; }

    /// <summary>Scoring threads asked for; null for the default, the cores this process may run on (<see cref="Cores"/>).</summary>
    public int? Threads { get; }

    /// <summary>The scoring precision asked for: Auto follows the network's training precision.</summary>
    public Precision RequestedPrecision { get; }

    /// <summary>
    /// The engine that scores: <see cref="Requested"/>, or LibTorch where ONNX Runtime could not start or the network
    /// has no ONNX form (a TorchScript or user factory network). Makes it if need be.
    /// </summary>
    public ScoringEngine Active
    {
        get
        {
            gate.EnterReadLock();
            try
            {
                return Engine().Engine.Kind;
            }
            finally
            {
                gate.ExitReadLock();
            }
        }
    }

    /// <summary>The intra-op threads the active engine scores with. Makes the engine if need be.</summary>
    public int ActiveThreads
    {
        get
        {
            gate.EnterReadLock();
            try
            {
                return Engine().Engine.Threads;
            }
            finally
            {
                gate.ExitReadLock();
            }
        }
    }

    /// <summary>What the active engine computes in, and why (see <see cref="PrecisionChoice.ForScoring"/>). Makes the engine if need be.</summary>
    public PrecisionChoice ActivePrecision
    {
        get
        {
            gate.EnterReadLock();
            try
            {
                return Engine().Precision;
            }
            finally
            {
                gate.ExitReadLock();
            }
        }
    }

    /// <summary>Writes each row's outputs (<see cref="Task"/>'s width) of <paramref name="features"/> (rows of C×H×W values) into <paramref name="outputs"/>.</summary>
    public void Score(ReadOnlySpan<float> features, Span<float> outputs)
    {
        gate.EnterReadLock();
        try
        {
            Engine().Engine.Score(features, outputs);
        }
        finally
        {
            gate.ExitReadLock();
        }
    }

    /// <summary>The ONNX model of this network with <paramref name="threshold"/> and <paramref name="metadata"/>.</summary>
    public ProtoMessage Onnx(float threshold, IEnumerable<KeyValuePair<string, string>> metadata) =>
        Network.Onnx.Write(Geometry, Task, threshold, metadata);

    /// <summary>
    /// The engine <paramref name="network"/> scores with when <paramref name="requested"/> is asked for: ONNX Runtime
    /// scores the network's ONNX form, so a network without one (a TorchScript or user factory network) scores with LibTorch.
    /// </summary>
    public static ScoringEngine EngineFor(TrainedNetwork network, ScoringEngine requested) =>
        requested == ScoringEngine.OnnxRuntime && !network.Onnx.Exists ? ScoringEngine.LibTorch : requested;

    /// <summary>Whether the engine's native state exists now (it is made on first use and freed by Dispose).</summary>
    public bool HasEngine => Volatile.Read(ref engine) is not null;

    /// <summary>How many times an engine was made (the first use, and each use after a Dispose).</summary>
    public int EnginesMade => Volatile.Read(ref engines);

    private Running Engine()
    {
        if (Volatile.Read(ref engine) is { } made)
            return made;
        lock (making)
        {
            if (engine is null)
            {
                var fresh = Make();
                SayThreads(fresh.Engine);
                Interlocked.Increment(ref engines);
                Volatile.Write(ref engine, fresh);
            }
            return engine;
        }
    }

    private Running Make()
    {
        if (EngineFor(Network, Requested) == ScoringEngine.OnnxRuntime)
        {
            try
            {
                var model = Onnx(0.5f, Array.Empty<KeyValuePair<string, string>>()).ToArray();
                return new(OnnxRuntimeFactory(model, Geometry, Cores.ForOnnxRuntime(Threads), Task.OutputsPerImage), ChoosePrecision(ScoringEngine.OnnxRuntime));
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException or TypeInitializationException
                                          or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
            {
                if (!warnedOfFallback)
                {
                    warnedOfFallback = true;
                    using var channel = host.Start("Scoring");
                    channel.Warning($"ONNX Runtime could not start ({e.GetType().Name}: {(e.InnerException ?? e).Message}); this model scores with LibTorch instead. " +
                        "Check that the Microsoft.ML.OnnxRuntime package's native library for this platform is deployed, or choose ScoringEngine.LibTorch to silence this.");
                }
            }
        }
        // The kernel check runs in libtorch, and its kernels count as used (TorchRuntime.AllowBFloat16Kernels is refused after).
        TorchRuntime.EnsureLoaded();
        OneDnnGuard.NoteKernelsUsed();
        var precision = ChoosePrecision(ScoringEngine.LibTorch);
        PrecisionChoice.CheckScoringUnderLift(precision, Network.IsBuiltIn, ScoringEngine.LibTorch, OneDnnGuard.Lifted, () => WrongLayer(ScalarType.Float32));
        return new(new LibTorchEngine(Network, Geometry, Threads, precision.ComputeType), precision);
    }

    /// <summary>Says, once, which engine scores on how many threads, and where the count comes from.</summary>
    private void SayThreads(IScoringEngine made)
    {
        if (saidThreads)
            return;
        saidThreads = true;
        using var channel = host.Start("Scoring");
        channel.Info(DescribeThreads(made.Kind, made.Threads, Threads));
    }

    /// <summary>The log's sentence for an engine of <paramref name="kind"/> on <paramref name="threads"/> threads, <paramref name="asked"/> or by default.</summary>
    internal static string DescribeThreads(ScoringEngine kind, int threads, int? asked) =>
        $"Scoring with {kind} on {threads} intra-op thread{(threads == 1 ? "" : "s")}" + (asked is not null
            ? " (ScoringThreads)."
            : kind == ScoringEngine.OnnxRuntime || threads == Cores.Available
                ? $" ({Cores.AvailableReason}; ScoringThreads overrides)."
                : $" (the process's libtorch count; {Cores.AvailableReason}; ScoringThreads overrides).");

    /// <summary>The precision <paramref name="kind"/> scores in here; says why, once, where bfloat16 was in play.</summary>
    private PrecisionChoice ChoosePrecision(ScoringEngine kind)
    {
        var choice = PrecisionChoice.ForScoring(RequestedPrecision, Network.TrainedPrecision, Network.IsBuiltIn, kind,
            BFloat16Support.Current, () => WrongLayer(ScalarType.BFloat16));
        if (!saidPrecision && (choice.Precision == Precision.BFloat16 || Network.TrainedPrecision == Precision.BFloat16 || RequestedPrecision == Precision.BFloat16))
        {
            saidPrecision = true;
            using var channel = host.Start("Scoring");
            channel.Info(choice.Reason);
        }
        return choice;
    }

    /// <summary>The kernel check of the built-in network in <paramref name="type"/>; it runs backward too, so with gradients on, whatever the caller's mode.</summary>
    private string? WrongLayer(ScalarType type)
    {
        using var gradients = enable_grad();
        return KernelCheck.FirstWrongLayer(Network.Shape!, Geometry, type);
    }

    /// <summary>Frees the engine's native memory once scoring under way has finished; the next score makes it again.</summary>
    public void Dispose()
    {
        gate.EnterWriteLock();
        try
        {
            engine?.Engine.Dispose();
            engine = null;
        }
        finally
        {
            gate.ExitWriteLock();
        }
    }
}
