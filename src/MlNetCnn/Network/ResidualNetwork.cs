using System.Globalization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MlNetCnn.Network;

/// <summary>
/// A small residual network (He et al., 2016) that takes any image size: a 3×3 stem, one basic block per stage
/// (3×3 → batch norm → ReLU → 3×3 → batch norm, plus the shortcut, then ReLU; every stage after the first halves the
/// resolution with a stride-2 convolution and a 1×1 stride-2 shortcut), global average pooling and one logit.
/// Forward takes <c>[N, C, H, W]</c> and returns <c>[N]</c> logits.
/// </summary>
internal sealed class ResidualNetwork : Module<Tensor, Tensor>
{
    /// <summary>The stages' channels when the settings give none.</summary>
    public static readonly IReadOnlyList<int> DefaultStages = new[] { 16, 32, 64 };

    /// <summary>The smallest image side accepted: below it the last stage would pool a single pixel of padding-dominated features.</summary>
    public const int MinimumImageSide = 8;

    /// <summary>The most stages accepted.</summary>
    public const int MaxStages = 8;

    /// <summary>The most channels a stage may have.</summary>
    public const int MaxChannels = 4096;

    // Field names are the weight format: "stem.conv.weight", "stage2.conv1.weight", "stage2.shortcut.bn.running_mean", "head.weight".
    private readonly Sequential stem;
    private readonly ModuleList<ResidualBlock> stages;
    private readonly Linear head;

    public ResidualNetwork(ImageGeometry geometry, IReadOnlyList<int> stageChannels) : base(nameof(ResidualNetwork))
    {
        CheckFits(geometry);
        Stages = stageChannels;
        stem = Sequential(("conv", Conv2d(geometry.Channels, stageChannels[0], 3, padding: 1, bias: false)), ("bn", BatchNorm2d(stageChannels[0])), ("relu", ReLU()));
        stages = new ModuleList<ResidualBlock>();
        for (var i = 0; i < stageChannels.Count; i++)
            stages.Add(new ResidualBlock(i == 0 ? stageChannels[0] : stageChannels[i - 1], stageChannels[i], stride: i == 0 ? 1 : 2));
        head = Linear(stageChannels[^1], 1);
        RegisterComponents();
        BatchCounters.Remove(this);
    }

    /// <summary>The stages' channels.</summary>
    public IReadOnlyList<int> Stages { get; }

    /// <summary>Throws, naming the minimum, when images of <paramref name="geometry"/> are too small.</summary>
    public static void CheckFits(ImageGeometry geometry)
    {
        if (geometry.Height < MinimumImageSide || geometry.Width < MinimumImageSide || geometry.Channels < 1)
            throw new ArgumentException($"Images of {geometry} are too small for the residual network: it needs at least {MinimumImageSide}×{MinimumImageSide} pixels.");
    }

    /// <summary>Reads the settings string: stage channels separated by commas ("16,32,64"); empty for <see cref="DefaultStages"/>.</summary>
    public static IReadOnlyList<int> ParseStages(string settings)
    {
        if (string.IsNullOrWhiteSpace(settings))
            return DefaultStages;
        var parts = settings.Split(',', StringSplitOptions.TrimEntries);
        var stages = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out stages[i]) || stages[i] < 1 || stages[i] > MaxChannels)
                throw new ArgumentException($"The residual network's settings '{settings}' are not stage channels: '{parts[i]}' is not a whole number in [1, {MaxChannels}]. Write them as \"16,32,64\".", nameof(settings));
        }
        if (stages.Length > MaxStages)
            throw new ArgumentException($"The residual network's settings '{settings}' give {stages.Length} stages; at most {MaxStages} are supported.", nameof(settings));
        return stages;
    }

    /// <summary>The side after every stage: each after the first halves it, rounding up (3×3, stride 2, padding 1).</summary>
    public static int OutputSide(int side, int stages) => Enumerable.Range(1, stages - 1).Aggregate(side, (s, _) => (s + 1) / 2);

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = stem.forward(input);
        foreach (var block in stages)
            x = block.forward(x);
        var pooled = x.mean(new long[] { 2, 3 });
        return head.forward(pooled).squeeze(1).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            stem.Dispose();
            stages.Dispose();
            head.Dispose();
        }
        base.Dispose(disposing);
    }

    /// <summary>One basic block: two 3×3 convolutions with batch norm and a shortcut (1×1 stride 2 where the shape changes).</summary>
    internal sealed class ResidualBlock : Module<Tensor, Tensor>
    {
        private readonly Conv2d conv1;
        private readonly BatchNorm2d bn1;
        private readonly Conv2d conv2;
        private readonly BatchNorm2d bn2;
        private readonly Sequential? shortcut;
        // The shortcut's weight in add_, held for the block's lifetime: a temporary Scalar can be collected while
        // libtorch still reads it (see BatchCounters).
        private readonly Scalar one = 1.ToScalar();

        public ResidualBlock(int inChannels, int outChannels, int stride) : base(nameof(ResidualBlock))
        {
            conv1 = Conv2d(inChannels, outChannels, 3, stride: stride, padding: 1, bias: false);
            bn1 = BatchNorm2d(outChannels);
            conv2 = Conv2d(outChannels, outChannels, 3, padding: 1, bias: false);
            bn2 = BatchNorm2d(outChannels);
            if (stride != 1 || inChannels != outChannels)
                shortcut = Sequential(("conv", Conv2d(inChannels, outChannels, 1, stride: stride, bias: false)), ("bn", BatchNorm2d(outChannels)));
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            var y = functional.relu(bn1.forward(conv1.forward(input)));
            y = bn2.forward(conv2.forward(y));
            var skip = shortcut is null ? input : shortcut.forward(input);
            return functional.relu(y.add_(skip, one)).MoveToOuterDisposeScope();
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                conv1.Dispose();
                bn1.Dispose();
                conv2.Dispose();
                bn2.Dispose();
                shortcut?.Dispose();
                one.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
