using Microsoft.ML.Runtime;
using MlNetCnn.Network;
using MlNetCnn.Onnx;

namespace MlNetCnn.Scoring;

/// <summary>
/// A trained network's weights in managed memory and the engine that scores with them, made on first use.
/// Scoring is concurrent where the engine allows it; disposal waits for scoring under way and frees the engine.
/// </summary>
internal sealed class CnnScorer : IDisposable
{
    private readonly IHost host;
    // Readers score; the writer disposes. Making the engine is serialised on its own.
    private readonly ReaderWriterLockSlim gate = new(LockRecursionPolicy.NoRecursion);
    private readonly object making = new();
    private IScoringEngine? engine;
    private bool disposed;

    public CnnScorer(IHost host, NetworkShape shape, ImageGeometry geometry, NetworkWeights weights, ScoringEngine requested, int? threads)
    {
        weights.CheckFits(shape, geometry);
        this.host = host;
        Shape = shape;
        Geometry = geometry;
        Weights = weights;
        Requested = requested;
        Threads = threads;
    }

    /// <summary>Makes the ONNX Runtime engine; tests replace it to see what happens when ONNX Runtime cannot start.</summary>
    internal static Func<byte[], ImageGeometry, int, IScoringEngine> OnnxRuntimeFactory { get; set; } =
        (model, geometry, threads) => new OnnxRuntimeEngine(model, geometry, threads);

    public NetworkShape Shape { get; }

    public ImageGeometry Geometry { get; }

    public NetworkWeights Weights { get; }

    /// <summary>The engine asked for.</summary>
    public ScoringEngine Requested { get; }

    /// <summary>Scoring threads asked for; null for the engine's default.</summary>
    public int? Threads { get; }

    /// <summary>The engine that scores: <see cref="Requested"/>, or LibTorch where ONNX Runtime could not start. Makes it if need be.</summary>
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
        OnnxExporter.Build(Shape, Geometry, Weights, threshold, metadata);

    /// <summary>Throws <see cref="ObjectDisposedException"/> once the model has been disposed.</summary>
    public void ThrowIfDisposed()
    {
        if (Volatile.Read(ref disposed))
            throw Disposed();
    }

    private IScoringEngine Engine()
    {
        ThrowIfDisposed();
        if (Volatile.Read(ref engine) is { } made)
            return made;
        lock (making)
            return engine ??= Make();
    }

    private static ObjectDisposedException Disposed() =>
        new ObjectDisposedException(nameof(CnnTransformer),
                "This CNN model has been disposed, and its scoring engine with it. A PredictionEngine disposes the transformer it was made from " +
                "unless it is created with new PredictionEngineOptions { OwnsTransformer = false }; use that to share one model between engines.");

    private IScoringEngine Make()
    {
        if (Requested == ScoringEngine.LibTorch)
            return new LibTorchEngine(Shape, Geometry, Weights, Threads);
        try
        {
            var model = Onnx(0.5f, Array.Empty<KeyValuePair<string, string>>()).ToArray();
            return OnnxRuntimeFactory(model, Geometry, Threads ?? 0);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException or TypeInitializationException
                                      or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
        {
            using var channel = host.Start("Scoring");
            channel.Warning($"ONNX Runtime could not start ({e.GetType().Name}: {(e.InnerException ?? e).Message}); this model scores with LibTorch instead. " +
                "Check that the Microsoft.ML.OnnxRuntime package's native library for this platform is deployed, or choose ScoringEngine.LibTorch to silence this.");
            return new LibTorchEngine(Shape, Geometry, Weights, Threads);
        }
    }

    public void Dispose()
    {
        gate.EnterWriteLock();
        try
        {
            if (disposed)
                return;
            disposed = true;
            engine?.Dispose();
            engine = null;
        }
        finally
        {
            gate.ExitWriteLock();
        }
    }
}
