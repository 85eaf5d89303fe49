using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using MlNetCnn.Precisions;

namespace MlNetCnn.Network;

/// <summary>
/// The question's network, sized from its input: convolution blocks, hidden dense layers and one output logit.
/// Forward takes <c>[batch, C, H, W]</c> and returns <c>[batch]</c> logits (no sigmoid: the loss and the scorer apply it).
/// </summary>
public sealed class CnnNetwork : Module<Tensor, Tensor>
{
    // Field names are the weight format: "features.block1.conv.weight", "classifier.out.bias", ...
    private readonly Sequential features;
    private readonly Sequential classifier;

    /// <summary>Builds the network for images of <paramref name="geometry"/>; throws when they are too small.</summary>
    public CnnNetwork(ImageGeometry geometry, NetworkShape shape) : base(nameof(CnnNetwork))
    {
        shape.Validate();
        shape.CheckFits(geometry);
        Geometry = geometry;
        Shape = shape;

        var blocks = new List<(string, Module<Tensor, Tensor>)>();
        var channels = geometry.Channels;
        for (var i = 0; i < shape.ConvolutionChannels.Count; i++)
        {
            var outChannels = shape.ConvolutionChannels[i];
            blocks.Add(($"block{i + 1}", Sequential(
                ("conv", Conv2d(channels, outChannels, shape.KernelSize)),
                ("bn", WithoutBatchCounter(BatchNorm2d(outChannels))),
                ("relu", ReLU()),
                ("pool", MaxPool2d(shape.PoolSize)))));
            channels = outChannels;
        }
        features = Sequential(blocks);

        var dense = new List<(string, Module<Tensor, Tensor>)>();
        var width = shape.FlattenSize(geometry);
        for (var i = 0; i < shape.HiddenUnits.Count; i++)
        {
            var units = shape.HiddenUnits[i];
            dense.Add(($"fc{i + 1}", Linear(width, units)));
            dense.Add(($"bn{i + 1}", WithoutBatchCounter(BatchNorm1d(units))));
            dense.Add(($"relu{i + 1}", ReLU()));
            width = units;
        }
        dense.Add(("out", Linear(width, 1)));
        classifier = Sequential(dense);

        RegisterComponents();
    }

    /// <summary>
    /// Drops batch norm's num_batches_tracked counter. With a fixed momentum nothing reads it, and TorchSharp 0.107
    /// bumps it with <c>add_(1)</c> through a temporary Scalar it does not keep alive across the native call (a
    /// collection at the wrong moment frees it: "Unknown scalar type"). The weight format has no such entry.
    /// </summary>
    private static T WithoutBatchCounter<T>(T norm) where T : TorchSharp.Modules.NormBase
    {
        norm.num_batches_tracked = null;
        return norm;
    }

    /// <summary>The input geometry the network was built for.</summary>
    public ImageGeometry Geometry { get; }

    /// <summary>The layer sizes.</summary>
    public NetworkShape Shape { get; }

    /// <summary>
    /// The type convolutions and dense layers compute in: float32, or bfloat16 with the weights kept float32 (see
    /// <see cref="MixedPrecision"/>). The output is float32 either way.
    /// </summary>
    internal ScalarType ComputeType { get; set; } = ScalarType.Float32;

    /// <summary>Number of trainable parameters.</summary>
    public long ParameterCount => parameters().Sum(p => p.numel());

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        if (ComputeType != ScalarType.Float32)
        {
            var low = MixedPrecision.Forward(features, input, ComputeType).flatten(1);
            return MixedPrecision.Forward(classifier, low, ComputeType).to(ScalarType.Float32).squeeze(1).MoveToOuterDisposeScope();
        }
        var flat = features.forward(input).flatten(1);
        return classifier.forward(flat).squeeze(1).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            features.Dispose();
            classifier.Dispose();
        }
        base.Dispose(disposing);
    }
}
