namespace MlNetCnn.Network.Import;

/// <summary>
/// The input normalisation of ML.NET's pretrained ResNet18 (package Microsoft.ML.DnnImageFeaturizer.ResNet18), read
/// from the preprocessing model the package ships beside it, <c>ResNetPrepOnnx/ResNetPreprocess.onnx</c>.
/// </summary>
/// <remarks>
/// That file (IR 3, opset 8, producer "TLC") takes <c>OriginalInput</c> [1, 3, 224, 224], RGB on the 0–255 scale
/// that ML.NET's ExtractPixels gives without scaling, and has three nodes: Split along channels into R, G and B,
/// Concat as B, G, R, and Sub of <c>MeanImage</c>, a [1, 3, 224, 224] float initializer of per-pixel means (BGR).
/// The mean image varies little within a channel (standard deviation 5.9, 4.9 and 3.3 in B, G and R), and its
/// per-channel averages (B 103.06, G 115.90, R 123.15) are what MlNetCnn subtracts, so that any input size works.
/// MlNetCnn's image step gives RGB in [0, 1], hence: channel order [2, 1, 0], scale 255, those means, std 1.
/// </remarks>
internal static class ResNetPreprocess
{
    /// <summary>The image step's [0, 1] values to the 0–255 the preprocessing model takes.</summary>
    public const float PixelScale = 255;

    /// <summary>
    /// The normalisation when the preprocessing file is not beside ResNet18.onnx: the per-channel averages of its
    /// mean image as read from the package (0.23.1 and 0.24.0 hold the same file), in B, G, R order.
    /// </summary>
    public static InputNormalization Recorded { get; } =
        new(PixelScale, new[] { 2, 1, 0 }, new[] { 103.06262f, 115.902885f, 123.15163f }, new[] { 1f, 1f, 1f });

    /// <summary>Reads the normalisation from the preprocessing model at <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not the Split → Concat → Sub(mean image) graph described above.</exception>
    public static InputNormalization Read(string path)
    {
        var model = OnnxReader.ReadFile(path);
        var source = $"'{Path.GetFileName(path)}'";
        var split = Single(model, "Split", source);
        var concat = Single(model, "Concat", source);
        var sub = Single(model, "Sub", source);
        var mean = model.Initializers.FirstOrDefault(t => t.Name == sub.Input(1));
        if (split.Int("axis", 0) != 1 || concat.Int("axis", 0) != 1 || sub.Input(0) != concat.Outputs[0]
            || mean is not { Dims.Length: 4, Floats: not null } || mean.Dims[1] != split.Outputs.Count)
            throw new InvalidDataException($"{source} is not the ResNet preprocessing MlNetCnn reads: Split along channels, Concat along channels, then Sub of a [1, C, H, W] mean image.");
        var order = concat.Inputs.Select(i => split.Outputs.ToList().IndexOf(i)).ToArray();
        if (order.Any(i => i < 0))
            throw new InvalidDataException($"{source}: its Concat reads '{concat.Inputs.First(i => !split.Outputs.Contains(i))}', which is not one of the Split's channels.");
        var channels = (int)mean.Dims[1];
        var pixels = (int)(mean.Dims[2] * mean.Dims[3]);
        var means = new float[channels];
        for (var c = 0; c < channels; c++)
            means[c] = (float)mean.Floats.AsSpan(c * pixels, pixels).ToArray().Average(v => (double)v);
        return new InputNormalization(PixelScale, order, means, Enumerable.Repeat(1f, channels).ToArray());
    }

    private static OnnxNode Single(OnnxModelFile model, string op, string source)
    {
        var nodes = model.Nodes.Where(n => n.OpType == op).ToList();
        return nodes.Count == 1 ? nodes[0]
            : throw new InvalidDataException($"{source} has {nodes.Count} {op} nodes; the ResNet preprocessing MlNetCnn reads has one (Split → Concat → Sub of the mean image).");
    }
}
