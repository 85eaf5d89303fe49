namespace MlNetCnn.Network;

/// <summary>What a layer of a <see cref="CnnNetwork"/> does, in evaluation mode.</summary>
internal enum LayerKind
{
    /// <summary>2-D convolution, square kernel, stride 1, no padding, with bias.</summary>
    Convolution,
    /// <summary>Batch normalisation over channels with running statistics.</summary>
    BatchNorm,
    /// <summary>max(0, x).</summary>
    Relu,
    /// <summary>Square max pooling with stride equal to the window.</summary>
    MaxPool,
    /// <summary>[N, C, H, W] to [N, C·H·W].</summary>
    Flatten,
    /// <summary>Dense layer with bias: x·Wᵀ + b.</summary>
    Linear,
}

/// <summary>One layer of the network as a scoring engine needs it.</summary>
/// <param name="Kind">What the layer does.</param>
/// <param name="Name">The state-dictionary prefix of its tensors (<c>features.block1.conv</c>); empty for layers without state.</param>
/// <param name="Inputs">Input channels or units.</param>
/// <param name="Outputs">Output channels or units.</param>
/// <param name="Window">Kernel or pooling side in pixels; 0 for other layers.</param>
internal sealed record LayerSpec(LayerKind Kind, string Name, int Inputs, int Outputs, int Window);

/// <summary>
/// The layers of a <see cref="CnnNetwork"/> of a given shape and input, in order, with the names of their tensors:
/// the one description that the TorchSharp module, the weight checks and the ONNX export agree on.
/// </summary>
internal static class NetworkLayout
{
    /// <summary>Batch norm's epsilon (TorchSharp's and PyTorch's default, which <see cref="CnnNetwork"/> uses).</summary>
    public const float BatchNormEpsilon = 1e-5f;

    /// <summary>The layers in forward order.</summary>
    public static IReadOnlyList<LayerSpec> Layers(NetworkShape shape, ImageGeometry geometry)
    {
        shape.CheckFits(geometry);
        var layers = new List<LayerSpec>();
        var channels = geometry.Channels;
        for (var i = 0; i < shape.ConvolutionChannels.Count; i++)
        {
            var block = $"features.block{i + 1}";
            var outChannels = shape.ConvolutionChannels[i];
            layers.Add(new(LayerKind.Convolution, $"{block}.conv", channels, outChannels, shape.KernelSize));
            layers.Add(new(LayerKind.BatchNorm, $"{block}.bn", outChannels, outChannels, 0));
            layers.Add(new(LayerKind.Relu, "", outChannels, outChannels, 0));
            layers.Add(new(LayerKind.MaxPool, "", outChannels, outChannels, shape.PoolSize));
            channels = outChannels;
        }
        var units = shape.FlattenSize(geometry);
        layers.Add(new(LayerKind.Flatten, "", channels, units, 0));
        for (var i = 0; i < shape.HiddenUnits.Count; i++)
        {
            var next = shape.HiddenUnits[i];
            layers.Add(new(LayerKind.Linear, $"classifier.fc{i + 1}", units, next, 0));
            layers.Add(new(LayerKind.BatchNorm, $"classifier.bn{i + 1}", next, next, 0));
            layers.Add(new(LayerKind.Relu, "", next, next, 0));
            units = next;
        }
        layers.Add(new(LayerKind.Linear, "classifier.out", units, 1, 0));
        return layers;
    }

    /// <summary>Every state tensor's name and shape, as <see cref="CnnNetwork"/> declares them.</summary>
    public static IReadOnlyDictionary<string, long[]> StateShapes(NetworkShape shape, ImageGeometry geometry)
    {
        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var layer in Layers(shape, geometry))
        {
            switch (layer.Kind)
            {
                case LayerKind.Convolution:
                    shapes[$"{layer.Name}.weight"] = new long[] { layer.Outputs, layer.Inputs, layer.Window, layer.Window };
                    shapes[$"{layer.Name}.bias"] = new long[] { layer.Outputs };
                    break;
                case LayerKind.BatchNorm:
                    foreach (var part in new[] { "weight", "bias", "running_mean", "running_var" })
                        shapes[$"{layer.Name}.{part}"] = new long[] { layer.Outputs };
                    break;
                case LayerKind.Linear:
                    shapes[$"{layer.Name}.weight"] = new long[] { layer.Outputs, layer.Inputs };
                    shapes[$"{layer.Name}.bias"] = new long[] { layer.Outputs };
                    break;
            }
        }
        return shapes;
    }
}
