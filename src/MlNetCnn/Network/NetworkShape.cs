namespace MlNetCnn.Network;

/// <summary>
/// The layer sizes of a <see cref="CnnNetwork"/>: convolution blocks (conv → batch norm → ReLU → max pool), then
/// hidden dense layers (linear → batch norm → ReLU), then one output logit. Plain data, saved with the model.
/// </summary>
/// <param name="ConvolutionChannels">Output channels of each convolution block, in order.</param>
/// <param name="KernelSize">Side of each square convolution kernel, in pixels (no padding, stride 1).</param>
/// <param name="PoolSize">Side and stride of each max-pooling window, in pixels.</param>
/// <param name="HiddenUnits">Units of each hidden dense layer, in order.</param>
public sealed record NetworkShape(IReadOnlyList<int> ConvolutionChannels, int KernelSize, int PoolSize, IReadOnlyList<int> HiddenUnits)
{
    // A multiply-add is two floating-point operations.
    private const long MultiplyAdd = 2;

    /// <summary>The question's network: three blocks of 64, 64, 128 channels with 5×5 kernels and 2×2 pooling, then 500 and 500 units.</summary>
    public static NetworkShape Default { get; } = new(new[] { 64, 64, 128 }, 5, 2, new[] { 500, 500 });

    /// <summary>The smallest square image side this shape accepts: each block must leave at least one pixel.</summary>
    public int MinimumImageSide => ConvolutionChannels.Aggregate(1, (side, _) => side * PoolSize + KernelSize - 1);

    /// <summary>The side an image of <paramref name="side"/> pixels has after every block (zero or less: too small).</summary>
    public int OutputSide(int side) => ConvolutionChannels.Aggregate(side, (s, _) => (s - KernelSize + 1) / PoolSize);

    /// <summary>Values per image entering the first dense layer, derived from the input geometry.</summary>
    public int FlattenSize(ImageGeometry geometry) =>
        ConvolutionChannels[^1] * OutputSide(geometry.Height) * OutputSide(geometry.Width);

    /// <summary>
    /// The layers of a network of this shape for images of <paramref name="geometry"/>, in order, with output shapes,
    /// parameter counts and forward FLOPs per image (see <see cref="LayerSummary.ForwardFlops"/>).
    /// </summary>
    public IReadOnlyList<LayerSummary> Describe(ImageGeometry geometry)
    {
        CheckFits(geometry);
        var layers = new List<LayerSummary>();
        int channels = geometry.Channels, height = geometry.Height, width = geometry.Width;
        for (var i = 0; i < ConvolutionChannels.Count; i++)
        {
            var name = $"features.block{i + 1}";
            var outChannels = ConvolutionChannels[i];
            (height, width) = (height - KernelSize + 1, width - KernelSize + 1);
            var weights = (long)channels * outChannels * KernelSize * KernelSize;
            layers.Add(new($"{name}.conv", $"Conv2d({channels}→{outChannels}, {KernelSize}×{KernelSize})", new[] { outChannels, height, width },
                weights + outChannels, MultiplyAdd * weights * height * width));
            layers.Add(new($"{name}.bn", $"BatchNorm2d({outChannels})", new[] { outChannels, height, width }, 2L * outChannels, 0));
            layers.Add(new($"{name}.relu", "ReLU", new[] { outChannels, height, width }, 0, 0));
            (height, width) = (height / PoolSize, width / PoolSize);
            layers.Add(new($"{name}.pool", $"MaxPool2d({PoolSize})", new[] { outChannels, height, width }, 0, 0));
            channels = outChannels;
        }
        var units = channels * height * width;
        layers.Add(new("flatten", "Flatten", new[] { units }, 0, 0));
        for (var i = 0; i < HiddenUnits.Count; i++)
        {
            var next = HiddenUnits[i];
            layers.Add(new($"classifier.fc{i + 1}", $"Linear({units}→{next})", new[] { next }, (long)units * next + next, MultiplyAdd * units * next));
            layers.Add(new($"classifier.bn{i + 1}", $"BatchNorm1d({next})", new[] { next }, 2L * next, 0));
            layers.Add(new($"classifier.relu{i + 1}", "ReLU", new[] { next }, 0, 0));
            units = next;
        }
        layers.Add(new("classifier.out", $"Linear({units}→1)", new[] { 1 }, units + 1L, MultiplyAdd * units));
        return layers;
    }

    /// <summary>Floating-point operations of one image's forward pass: the sum of <see cref="LayerSummary.ForwardFlops"/> over <see cref="Describe"/>.</summary>
    public long ForwardFlops(ImageGeometry geometry) => Describe(geometry).Sum(l => l.ForwardFlops);

    /// <summary>Throws when the shape is not a usable network.</summary>
    public void Validate()
    {
        if (ConvolutionChannels is null || ConvolutionChannels.Count == 0 || ConvolutionChannels.Any(c => c <= 0))
            throw new ArgumentOutOfRangeException(nameof(ConvolutionChannels), $"Convolution channels must be one or more positive counts; got [{string.Join(", ", ConvolutionChannels ?? Array.Empty<int>())}].");
        if (KernelSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(KernelSize), $"Kernel size must be positive; got {KernelSize}.");
        if (PoolSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(PoolSize), $"Pool size must be positive; got {PoolSize}.");
        if (HiddenUnits is null || HiddenUnits.Any(u => u <= 0))
            throw new ArgumentOutOfRangeException(nameof(HiddenUnits), $"Hidden units must be positive counts; got [{string.Join(", ", HiddenUnits ?? Array.Empty<int>())}].");
    }

    /// <summary>Throws, naming the minimum size, when <paramref name="geometry"/> is too small for this shape.</summary>
    public void CheckFits(ImageGeometry geometry)
    {
        if (geometry.Channels <= 0 || OutputSide(geometry.Height) < 1 || OutputSide(geometry.Width) < 1)
            throw new ArgumentException(
                $"Images of {geometry} are too small for this network: {ConvolutionChannels.Count} blocks of {KernelSize}×{KernelSize} convolution " +
                $"and {PoolSize}×{PoolSize} pooling need at least {MinimumImageSide}×{MinimumImageSide} pixels. Resize the images (ResizeImages) or use fewer blocks.");
    }

    /// <inheritdoc />
    public bool Equals(NetworkShape? other) =>
        other is not null && KernelSize == other.KernelSize && PoolSize == other.PoolSize
        && ConvolutionChannels.SequenceEqual(other.ConvolutionChannels) && HiddenUnits.SequenceEqual(other.HiddenUnits);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(KernelSize, PoolSize, ConvolutionChannels.Count, HiddenUnits.Count);

    /// <inheritdoc />
    public override string ToString() =>
        $"conv [{string.Join(", ", ConvolutionChannels)}] k{KernelSize} pool{PoolSize}, dense [{string.Join(", ", HiddenUnits)}] → 1";
}
