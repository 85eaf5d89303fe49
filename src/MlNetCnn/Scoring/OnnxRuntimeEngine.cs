using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MlNetCnn.Onnx;

namespace MlNetCnn.Scoring;

/// <summary>Scores with an ONNX Runtime session made in memory from the exported graph; runs are concurrent.</summary>
internal sealed class OnnxRuntimeEngine : IScoringEngine
{
    private static readonly string[] InputNames = { OnnxExporter.InputName };
    private static readonly string[] OutputNames = { CnnTransformer.ScoreColumnName };

    private readonly InferenceSession session;
    private readonly ImageGeometry geometry;
    private readonly int outputsPerImage;
    private readonly RunOptions runOptions = new();

    /// <param name="model">The ONNX model's bytes.</param>
    /// <param name="geometry">The images the model takes.</param>
    /// <param name="threads">
    /// Intra-op threads (MlNetCnn's default: the cores the process may run on, <see cref="Native.Cores"/>; ONNX
    /// Runtime's own, one per physical core as it reads the topology, gave one thread on a 2-vCPU VM).
    /// </param>
    /// <param name="outputsPerImage">Values of the Score output per image: 1 is a <c>[N]</c> output, more a <c>[N, K]</c> one.</param>
    public OnnxRuntimeEngine(byte[] model, ImageGeometry geometry, int threads, int outputsPerImage = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        this.geometry = geometry;
        this.outputsPerImage = outputsPerImage;
        Threads = threads;
        using var options = SessionOptionsFor(threads);
        try
        {
            session = new InferenceSession(model, options);
        }
        catch
        {
            runOptions.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Session options MlNetCnn scores with: the given intra-op threads, none for inter-op work, and no spinning:
    /// idle worker threads sleep instead of busy-waiting, which costs microseconds per batch and keeps a loaded
    /// machine's other processes (and a server's other requests) from losing their cores.
    /// </summary>
    private static SessionOptions SessionOptionsFor(int threads)
    {
        var options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        options.AddSessionConfigEntry("session.inter_op.allow_spinning", "0");
        return options;
    }

    public ScoringEngine Kind => ScoringEngine.OnnxRuntime;

    public int Threads { get; }

    public unsafe void Score(ReadOnlySpan<float> features, Span<float> outputs)
    {
        var count = outputs.Length / outputsPerImage;
        if (features.Length != (long)count * geometry.Size || outputs.Length != count * outputsPerImage)
            throw new ArgumentException($"{features.Length} feature values are not {count} images of {geometry}.");
        if (count == 0)
            return;
        fixed (float* input = features)
        fixed (float* output = outputs)
        {
            // Both tensors are views of the caller's memory: no copy in, none out.
            using var inputValue = OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, TensorElementType.Float,
                new long[] { count, geometry.Channels, geometry.Height, geometry.Width }, (IntPtr)input, (long)features.Length * sizeof(float));
            using var outputValue = OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, TensorElementType.Float,
                outputsPerImage == 1 ? new long[] { count } : new long[] { count, outputsPerImage }, (IntPtr)output, (long)outputs.Length * sizeof(float));
            session.Run(runOptions, InputNames, new[] { inputValue }, OutputNames, new[] { outputValue });
        }
    }

    public void Dispose()
    {
        session.Dispose();
        runOptions.Dispose();
    }
}
