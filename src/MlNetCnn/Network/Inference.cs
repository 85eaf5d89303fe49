using TorchSharp;

namespace MlNetCnn.Network;

/// <summary>The network's forward pass on managed memory, as scoring and validation both run it.</summary>
internal static class Inference
{
    /// <summary>One forward pass in evaluation mode without gradients; every tensor it makes is disposed.</summary>
    public static void Forward(NetworkModule network, ImageGeometry g, ReadOnlySpan<float> features, Span<float> logits)
    {
        if (features.Length != (long)logits.Length * g.Size)
            throw new ArgumentException($"{features.Length} feature values are not {logits.Length} images of {g}.");
        if (logits.Length == 0)
            return;
        network.Module.eval();
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var input = TensorBridge.FromSpan(features, logits.Length, g.Channels, g.Height, g.Width);
        TensorBridge.CopyTo(network.Forward(input), logits);
    }
}
