using Microsoft.ML.Runtime;
using MlNetCnn.Onnx;

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
    private IScoringEngine? engine;
    private int engines;
    private bool warnedOfFallback;

    public CnnScorer(IHost host, ImageGeometry geometry, TrainedNetwork network, ScoringEngine requested, int? threads)
    {
        if (network is TrainedNetwork.BuiltIn builtIn)
            builtIn.Weights.CheckFits(builtIn.Shape, geometry);
        this.host = host;
        Network = network;
        Geometry = geometry;
        Requested = requested;
        Threads = threads;
    }

    /// <summary>Makes the ONNX Runtime engine; tests replace it to see what happens when ONNX Runtime cannot start.</summary>
    internal static Func<byte[], ImageGeometry, int, IScoringEngine> OnnxRuntimeFactory { get; set; } =
        (model, geometry, threads) => new OnnxRuntimeEngine(model, geometry, threads);

    /// <summary>The trained network.</summary>
    public TrainedNetwork Network { get; }

    public ImageGeometry Geometry { get; }

    /// <summary>The engine asked for.</summary>
    public ScoringEngine Requested { get; }

    /// <summary>Scoring threads asked for; null for the engine's default.</summary>
    public int? Threads { get; }

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
                return Engine().Kind;
            }
            finally
            {
                gate.ExitReadLock();
            }
        }
    }

    /// <summary>Writes one logit per row of <paramref name="features"/> (rows of C×H×W values) into <paramref name="logits"/>.</summary>
    public void Score(ReadOnlySpan<float> features, Span<float> logits)
    {
        gate.EnterReadLock();
        try
        {
            Engine().Score(features, logits);
        }
        finally
        {
            gate.ExitReadLock();
        }
    }

    /// <summary>The ONNX model of this network with <paramref name="threshold"/> and <paramref name="metadata"/>.</summary>
    public ProtoMessage Onnx(float threshold, IEnumerable<KeyValuePair<string, string>> metadata) =>
        Network.Onnx(Geometry, threshold, metadata);

    /// <summary>Whether the engine's native state exists now (it is made on first use and freed by Dispose).</summary>
    public bool HasEngine => Volatile.Read(ref engine) is not null;

    /// <summary>How many times an engine was made (the first use, and each use after a Dispose).</summary>
    public int EnginesMade => Volatile.Read(ref engines);

    private IScoringEngine Engine()
    {
        if (Volatile.Read(ref engine) is { } made)
            return made;
        lock (making)
        {
            if (engine is null)
            {
                var fresh = Make();
                Interlocked.Increment(ref engines);
                Volatile.Write(ref engine, fresh);
            }
            return engine;
        }
    }

    private IScoringEngine Make()
    {
        if (Requested == ScoringEngine.OnnxRuntime && Network.HasOnnxForm)
        {
            try
            {
                var model = Onnx(0.5f, Array.Empty<KeyValuePair<string, string>>()).ToArray();
                return OnnxRuntimeFactory(model, Geometry, Threads ?? 0);
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
        return new LibTorchEngine(Network, Geometry, Threads);
    }

    /// <summary>Frees the engine's native memory once scoring under way has finished; the next score makes it again.</summary>
    public void Dispose()
    {
        gate.EnterWriteLock();
        try
        {
            engine?.Dispose();
            engine = null;
        }
        finally
        {
            gate.ExitWriteLock();
        }
    }
}
