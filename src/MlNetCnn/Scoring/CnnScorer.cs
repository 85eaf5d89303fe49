using MlNetCnn.Network;
using TorchSharp;

namespace MlNetCnn.Scoring;

/// <summary>Runs a trained network forward on rows of image vectors. Owns the network; serialises access to it.</summary>
internal sealed class CnnScorer : IDisposable
{
    private readonly object gate = new();
    private bool disposed;

    public CnnScorer(CnnNetwork network)
    {
        Network = network;
        Network.eval();
    }

    /// <summary>The network, in evaluation mode.</summary>
    public CnnNetwork Network { get; }

    /// <summary>Writes one logit per row of <paramref name="features"/> (rows of C×H×W values) into <paramref name="logits"/>.</summary>
    public void Score(ReadOnlySpan<float> features, Span<float> logits)
    {
        lock (gate)
        {
            if (disposed)
                throw new ObjectDisposedException(nameof(CnnTransformer),
                    "This CNN model has been disposed, and its network with it. A PredictionEngine disposes the transformer it was made from " +
                    "unless it is created with new PredictionEngineOptions { OwnsTransformer = false }; use that to share one model between engines.");
            Forward(Network, features, logits);
        }
    }

    /// <summary>One forward pass in evaluation mode without gradients; every tensor it makes is disposed.</summary>
    public static void Forward(CnnNetwork network, ReadOnlySpan<float> features, Span<float> logits)
    {
        var g = network.Geometry;
        if (features.Length != logits.Length * g.Size)
            throw new ArgumentException($"{features.Length} feature values are not {logits.Length} images of {g}.");
        if (logits.Length == 0)
            return;
        network.eval();
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var input = TensorBridge.FromSpan(features, logits.Length, g.Channels, g.Height, g.Width);
        TensorBridge.CopyTo(network.forward(input), logits);
    }

    public void Dispose()
    {
        lock (gate)
        {
            if (disposed)
                return;
            disposed = true;
            Network.Dispose();
        }
    }
}
