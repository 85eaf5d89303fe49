using MlNetCnn.Native;
using MlNetCnn.Network;
using MlNetCnn.NetworkKinds;
using TorchSharp;
using MlNetCnn.Precisions;

namespace MlNetCnn.Scoring;

/// <summary>Scores with the TorchSharp network itself; forward passes are serialised.</summary>
internal sealed class LibTorchEngine : IScoringEngine
{
    private readonly object gate = new();
    private readonly NetworkModule network;
    private readonly ImageGeometry geometry;

    /// <param name="trained">The network and its trained state.</param>
    /// <param name="geometry">The images it takes.</param>
    /// <param name="threads">libtorch's intra-op threads, set for the process; null keeps the process's count, or the cores it may run on (<see cref="Cores.UseForLibTorch"/>).</param>
    /// <param name="computeType">
    /// What the built-in network's convolutions and dense layers compute in: float32, or bfloat16 through the mixed
    /// path training used (<see cref="MixedPrecision"/>). A custom network computes in float32 only.
    /// </param>
    public LibTorchEngine(TrainedNetwork trained, ImageGeometry geometry, int? threads, torch.ScalarType computeType = torch.ScalarType.Float32)
    {
        TorchRuntime.EnsureLoaded();
        Threads = Cores.UseForLibTorch(threads);
        network = trained.Load(geometry);
        if (computeType != torch.ScalarType.Float32)
        {
            if (network.Module is not CnnNetwork cnn)
            {
                network.Dispose();
                throw new ArgumentException($"Only the built-in network computes in {computeType}; this one is {trained.Description}.", nameof(computeType));
            }
            cnn.ComputeType = computeType;
        }
        this.geometry = geometry;
    }

    public ScoringEngine Kind => ScoringEngine.LibTorch;

    public int Threads { get; }

    public void Score(ReadOnlySpan<float> features, Span<float> outputs)
    {
        lock (gate)
            Inference.Forward(network, geometry, features, outputs);
    }

    public void Dispose()
    {
        lock (gate)
            network.Dispose();
    }
}
