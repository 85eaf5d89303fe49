using MlNetCnn.Network.Import;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetCnn.Network;

/// <summary>
/// A pretrained backbone with the task's head: <c>backbone</c> (an imported network giving <c>[N, F]</c> features
/// after global average pooling), <c>dropout</c>, and <c>head</c>, one linear layer to the task's outputs. The names
/// are the weight format ("backbone.Convolution249.weight", "head.weight").
/// </summary>
/// <remarks>
/// While every backbone parameter is frozen, the backbone runs as at inference (evaluation mode, no gradients), so its
/// features depend on the image alone; with <see cref="CacheFeatures"/> on, each image's are computed once and reused
/// (ML.NET's bottleneck cache, in memory), which makes every frozen epoch after the first, and every validation pass,
/// cost the head alone.
/// </remarks>
internal sealed class BackboneClassifier : nn.Module<Tensor, Tensor>
{
    private readonly OnnxGraphModule backbone;
    private readonly Dropout dropout;
    private readonly Linear head;

    /// <summary>A new head of <paramref name="outputs"/> logits on <paramref name="backbone"/>, initialised from torch's generator.</summary>
    public BackboneClassifier(OnnxGraphModule backbone, int outputs, double dropout) : base(nameof(BackboneClassifier))
    {
        this.backbone = backbone;
        this.dropout = nn.Dropout(dropout);
        head = nn.Linear(backbone.FeatureCount, outputs);
        DropoutRate = dropout;
        RegisterComponents();
    }

    /// <summary>The name of the backbone's part of the state: what freezing and parameter groups name.</summary>
    public const string BackbonePart = "backbone";

    /// <summary>The imported backbone.</summary>
    public OnnxGraphModule Backbone => backbone;

    /// <summary>The head's linear layer.</summary>
    public Linear Head => head;

    /// <summary>The dropout before the head.</summary>
    public double DropoutRate { get; }

    /// <summary>Whether no backbone parameter trains now.</summary>
    public bool BackboneFrozen => backbone.parameters().All(p => !p.requires_grad);

    /// <summary>The frozen backbone's features by image, when caching is on; null otherwise.</summary>
    public FeatureCache? Cache { get; private set; }

    /// <summary>Keeps the frozen backbone's features of up to <paramref name="maxBytes"/> bytes of images in memory (see remarks).</summary>
    public void CacheFeatures(long maxBytes) => Cache = new FeatureCache(maxBytes);

    /// <summary>
    /// Images per backbone forward pass when no gradient is kept (frozen, validation, scoring). On a 2-vCPU VM a
    /// batch of 32 at 224×224 ran at 2.6 images/s and single images at 12.4 (the feature maps of a large batch are
    /// hundreds of megabytes, fresh from the kernel each time); a few at a time keep them small.
    /// </summary>
    public const int NoGradientChunk = 4;

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var features = BackboneFrozen ? FrozenFeatures(input) : is_grad_enabled() ? backbone.forward(input) : InChunks(input);
        return head.forward(dropout.forward(features)).MoveToOuterDisposeScope();
    }

    private Tensor FrozenFeatures(Tensor input)
    {
        // Frozen, the backbone is a fixed function of the image: evaluation mode (batch norm's running statistics,
        // no dropout) and no graph to back-propagate through. Training mode comes back with NetworkModule.Train.
        backbone.eval();
        using var noGrad = no_grad();
        return Cache is { } cache ? cache.Features(input, InChunks) : InChunks(input);
    }

    /// <summary>The backbone's features of <paramref name="input"/>, <see cref="NoGradientChunk"/> images at a time (no gradients).</summary>
    private Tensor InChunks(Tensor input)
    {
        var n = input.shape[0];
        if (n <= NoGradientChunk)
            return backbone.forward(input);
        using var scope = NewDisposeScope();
        var parts = new List<Tensor>();
        for (long start = 0; start < n; start += NoGradientChunk)
        {
            using var chunk = input.narrow(0, start, Math.Min(NoGradientChunk, n - start));
            parts.Add(backbone.forward(chunk));
        }
        return cat(parts, 0).MoveToOuterDisposeScope();
    }
}
