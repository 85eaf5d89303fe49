using System.Globalization;

namespace MlNetCnn;

/// <summary>
/// How images as MlNetCnn's image step gives them (planar channels, values in [0, 1]) become the input a pretrained
/// network was trained on: output channel <c>c</c> = (input channel <c>ChannelOrder[c]</c> × <see cref="Scale"/> −
/// <c>Mean[c]</c>) / <c>Std[c]</c>. Plain data: <see cref="ToString"/> writes it as one line and <see cref="Parse"/>
/// reads it back, so a saved model and an exported ONNX file can carry it.
/// </summary>
/// <remarks>
/// <see cref="ChannelOrder"/> picks input channels by index: <c>[2, 1, 0]</c> turns RGB into BGR, and
/// <c>[0, 0, 0]</c> feeds one grey channel to a network that takes three.
/// </remarks>
public sealed class InputNormalization : IEquatable<InputNormalization>
{
    /// <summary>The most channels a normalisation may produce or read.</summary>
    public const int MaxChannels = 64;

    /// <summary>Creates a normalisation; throws <see cref="ArgumentException"/> naming a value that cannot be used.</summary>
    /// <param name="scale">What each input value is multiplied by first (255 for a network trained on 0–255 pixels).</param>
    /// <param name="channelOrder">For each channel the network takes, the input channel it reads.</param>
    /// <param name="mean">Subtracted per output channel, after scaling.</param>
    /// <param name="std">Divided by per output channel, after subtracting the mean; each above 0.</param>
    public InputNormalization(float scale, IReadOnlyList<int> channelOrder, IReadOnlyList<float> mean, IReadOnlyList<float> std)
    {
        if (!float.IsFinite(scale) || scale == 0)
            throw new ArgumentException($"The input scale is {scale}; it must be a finite number other than 0.", nameof(scale));
        if (channelOrder.Count is 0 or > MaxChannels || channelOrder.Any(c => c is < 0 or >= MaxChannels))
            throw new ArgumentException($"The channel order [{string.Join(", ", channelOrder)}] must pick 1 to {MaxChannels} input channels by index (0 to {MaxChannels - 1}).", nameof(channelOrder));
        if (mean.Count != channelOrder.Count || std.Count != channelOrder.Count)
            throw new ArgumentException($"The normalisation has {channelOrder.Count} channels but {mean.Count} means and {std.Count} standard deviations; give one of each per channel.", nameof(mean));
        if (mean.Any(m => !float.IsFinite(m)))
            throw new ArgumentException($"The means [{Join(mean)}] must be finite.", nameof(mean));
        if (std.Any(s => !float.IsFinite(s) || s <= 0))
            throw new ArgumentException($"The standard deviations [{Join(std)}] must be finite and above 0.", nameof(std));
        Scale = scale;
        ChannelOrder = channelOrder.ToArray();
        Mean = mean.ToArray();
        Std = std.ToArray();
    }

    /// <summary>What each input value is multiplied by first.</summary>
    public float Scale { get; }

    /// <summary>For each channel the network takes, the input channel it reads.</summary>
    public IReadOnlyList<int> ChannelOrder { get; }

    /// <summary>Subtracted per output channel, after scaling.</summary>
    public IReadOnlyList<float> Mean { get; }

    /// <summary>Divided by per output channel, after subtracting the mean.</summary>
    public IReadOnlyList<float> Std { get; }

    /// <summary>The channels the images must have: one more than the highest index <see cref="ChannelOrder"/> reads.</summary>
    public int InputChannels => ChannelOrder.Max() + 1;

    /// <summary>The channels the network gets.</summary>
    public int OutputChannels => ChannelOrder.Count;

    /// <summary>Values passed through unchanged, <paramref name="channels"/> channels in order.</summary>
    public static InputNormalization None(int channels) =>
        new(1, Enumerable.Range(0, channels).ToArray(), new float[channels], Enumerable.Repeat(1f, channels).ToArray());

    /// <summary>
    /// torchvision's ImageNet normalisation, which PyTorch-trained backbones (ResNet, MobileNet, EfficientNet as
    /// torchvision ships them) expect: RGB in [0, 1], mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225).
    /// </summary>
    public static InputNormalization ImageNet { get; } =
        new(1, new[] { 0, 1, 2 }, new[] { 0.485f, 0.456f, 0.406f }, new[] { 0.229f, 0.224f, 0.225f });

    /// <summary>Per output channel, the multiplier <c>Scale / Std[c]</c> of the affine map it comes to.</summary>
    internal float[] Multipliers => Std.Select(s => Scale / s).ToArray();

    /// <summary>Per output channel, the offset <c>−Mean[c] / Std[c]</c> of the affine map it comes to.</summary>
    internal float[] Offsets => Mean.Select((m, c) => -m / Std[c]).ToArray();

    /// <summary>Whether channels are read in order, each once, from images of <paramref name="channels"/> channels.</summary>
    internal bool KeepsChannels(int channels) => ChannelOrder.Count == channels && ChannelOrder.Select((c, i) => c == i).All(same => same);

    /// <summary>One line, read back by <see cref="Parse"/>: "scale 255; channels 2,1,0; mean 103.06,115.9,123.15; std 1,1,1".</summary>
    public override string ToString() =>
        $"scale {Scale.ToString("R", CultureInfo.InvariantCulture)}; channels {string.Join(",", ChannelOrder)}; mean {Join(Mean, ",")}; std {Join(Std, ",")}";

    /// <summary>Reads what <see cref="ToString"/> writes.</summary>
    /// <exception cref="FormatException">The text is not a normalisation; the message says which part.</exception>
    public static InputNormalization Parse(string text)
    {
        var parts = text.Split(';', StringSplitOptions.TrimEntries);
        string Part(int index, string key) =>
            index < parts.Length && parts[index].StartsWith(key + " ", StringComparison.Ordinal) ? parts[index][(key.Length + 1)..]
            : throw new FormatException($"'{text}' is not an input normalisation: part {index + 1} should start with '{key} ' (written as \"scale S; channels C,…; mean M,…; std S,…\").");
        float Number(string value) => float.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) ? number
            : throw new FormatException($"'{text}' is not an input normalisation: '{value}' is not a number.");
        if (parts.Length != 4)
            throw new FormatException($"'{text}' is not an input normalisation: it has {parts.Length} parts separated by ';', not 4.");
        var scale = Number(Part(0, "scale"));
        var order = Part(1, "channels").Split(',').Select(c => int.TryParse(c, NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i
            : throw new FormatException($"'{text}' is not an input normalisation: channel '{c}' is not an index.")).ToArray();
        var mean = Part(2, "mean").Split(',').Select(Number).ToArray();
        var std = Part(3, "std").Split(',').Select(Number).ToArray();
        try
        {
            return new InputNormalization(scale, order, mean, std);
        }
        catch (ArgumentException e)
        {
            throw new FormatException($"'{text}' is not a usable input normalisation: {e.Message}", e);
        }
    }

    /// <inheritdoc />
    public bool Equals(InputNormalization? other) =>
        other is not null && Scale.Equals(other.Scale) && ChannelOrder.SequenceEqual(other.ChannelOrder)
        && Mean.SequenceEqual(other.Mean) && Std.SequenceEqual(other.Std);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as InputNormalization);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Scale, ChannelOrder.Count, Mean[0], Std[0]);

    private static string Join(IEnumerable<float> values, string separator = ", ") =>
        string.Join(separator, values.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
}
