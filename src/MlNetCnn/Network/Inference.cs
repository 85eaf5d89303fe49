using TorchSharp;

namespace MlNetCnn.Network;

/// <summary>The network's forward pass on managed memory, as scoring and validation both run it.</summary>
internal static class Inference
{
    /// <summary>
    /// One forward pass in evaluation mode without gradients, writing each image's outputs (the task's width) into
    /// <paramref name="outputs"/>; every tensor it makes is disposed.
    /// </summary>
    public static void Forward(NetworkModule network, ImageGeometry g, ReadOnlySpan<float> features, Span<float> outputs)
    {
        var width = network.Task.OutputsPerImage;
        var count = outputs.Length / width;
        if (features.Length != (long)count * g.Size || outputs.Length != count * width)
            throw new ArgumentException($"{features.Length} feature values are not {count} images of {g}.");
        if (count == 0)
            return;
        network.Module.eval();
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var input = TensorBridge.FromSpan(features, count, g.Channels, g.Height, g.Width);
        TensorBridge.CopyTo(network.Forward(input), outputs);
    }
}
