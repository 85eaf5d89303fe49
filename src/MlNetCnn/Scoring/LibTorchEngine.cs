using MlNetCnn.Native;
using MlNetCnn.Network;
using TorchSharp;

namespace MlNetCnn.Scoring;

/// <summary>Scores with the TorchSharp network itself; forward passes are serialised.</summary>
internal sealed class LibTorchEngine : IScoringEngine
{
    private readonly object gate = new();
    private readonly CnnNetwork network;

    /// <param name="shape">The network's layer sizes.</param>
    /// <param name="geometry">The images it takes.</param>
    /// <param name="weights">Its trained state.</param>
    /// <param name="threads">libtorch's intra-op threads, set for the process; null leaves them as they are.</param>
    public LibTorchEngine(NetworkShape shape, ImageGeometry geometry, NetworkWeights weights, int? threads)
    {
        TorchRuntime.EnsureLoaded();
        if (threads is { } n)
            torch.set_num_threads(n);
        network = new CnnNetwork(geometry, shape);
        try
        {
            using var reader = new BinaryReader(new MemoryStream(weights.ToBytes()));
            network.load(reader, strict: true);
            network.eval();
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    public ScoringEngine Kind => ScoringEngine.LibTorch;

    public void Score(ReadOnlySpan<float> features, Span<float> logits)
    {
        lock (gate)
            Inference.Forward(network, features, logits);
    }

    public void Dispose()
    {
        lock (gate)
            network.Dispose();
    }
}
