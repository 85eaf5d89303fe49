using MlNetCnn.Onnx;

namespace MlNetCnn.Network.Import;

/// <summary>
/// Writes an <see cref="OnnxGraphModule"/> — its normalisation, its layers with their current (trained) state, and
/// the pooling to <c>[N, F]</c> — as ONNX nodes and initializers through the project's writer (<see cref="OnnxGraph"/>,
/// opset 13), so that a fine-tuned network scores in ONNX Runtime without the file it was imported from.
/// </summary>
internal static class GraphExport
{
    /// <summary>The metadata key of the normalisation in a model written by <see cref="FeaturesModel"/>.</summary>
    public const string NormalizationKey = OnnxExporter.MetadataPrefix + "input_normalization";

    /// <summary>The metadata key of the imported file's name.</summary>
    public const string SourceKey = OnnxExporter.MetadataPrefix + "backbone_source";

    /// <summary>The standalone model's output name.</summary>
    public const string FeaturesName = "features";

    /// <summary>
    /// Adds the module to <paramref name="graph"/>, reading <paramref name="input"/> (images as forward takes them, of
    /// <paramref name="geometry"/>); returns the name of the <c>[N, F]</c> features. Every value and initializer name
    /// starts with <paramref name="prefix"/>; initializers are then named as the module's state ("backbone.Conv_0.weight").
    /// </summary>
    public static string AddTo(OnnxGraph graph, OnnxGraphModule module, string input, ImageGeometry geometry, string prefix = "backbone.")
    {
        var x = AddNormalization(graph, module.Normalization, input, prefix);
        var shapes = module.Graph.Shapes(geometry with { Channels = module.Graph.InputGeometry.Channels });
        var names = new Dictionary<string, string>(StringComparer.Ordinal) { [module.Graph.InputName] = x };
        foreach (var layer in module.Graph.Layers)
        {
            var output = $"{prefix}{layer.Name}";
            layer.WriteOnnx(graph, layer.Inputs.Select(i => names[i]).ToArray(), output, module.Layer(layer.Name),
                layer.Inputs.Select(i => shapes[i]).ToArray(), prefix);
            names[layer.Output] = output;
        }
        var features = names[module.Graph.OutputName];
        if (shapes[module.Graph.OutputName].Length == 2)
            return features;
        // forward averages a feature map over its pixels ([N, F, 1, 1] included) and returns [N, F].
        var pooled = graph.Node("GlobalAveragePool", $"{prefix}output_pooled", new[] { features });
        return graph.Node("Flatten", $"{prefix}output_flat", new[] { pooled }, ("axis", 1L));
    }

    /// <summary>
    /// A model of the module alone: input "input" <c>[N, C, H, W]</c> as forward takes it (N symbolic; H and W the
    /// nominal size unless <paramref name="geometry"/> says otherwise), output "features" <c>[N, F]</c>; the
    /// normalisation and the source file in its metadata.
    /// </summary>
    public static ProtoMessage FeaturesModel(OnnxGraphModule module, ImageGeometry? geometry = null)
    {
        var size = geometry ?? module.InputGeometry;
        var graph = new OnnxGraph("MlNetCnn backbone");
        const string input = "input";
        graph.Input(input, OnnxGraph.Float, new long?[] { null, size.Channels, size.Height, size.Width }, OnnxExporter.BatchDimension);
        var features = AddTo(graph, module, input, size, prefix: "");
        var output = graph.Node("Identity", FeaturesName, new[] { features });
        graph.Output(output, OnnxGraph.Float, new long?[] { null, module.FeatureCount }, OnnxExporter.BatchDimension, "Image features.");
        var metadata = new List<KeyValuePair<string, string>> { new(SourceKey, module.Graph.Source) };
        if (module.Normalization is { } normalization)
            metadata.Add(new(NormalizationKey, normalization.ToString()));
        var version = typeof(GraphExport).Assembly.GetName().Version?.ToString() ?? "";
        return graph.Model("MlNetCnn", version, $"Features of {module.Graph.Source} as imported by MlNetCnn.", metadata);
    }

    /// <summary>Gather (the channel order, when it changes), Mul and Add: the normalisation as forward applies it.</summary>
    private static string AddNormalization(OnnxGraph graph, InputNormalization? normalization, string input, string prefix)
    {
        if (normalization is null)
            return input;
        var x = input;
        var channels = normalization.OutputChannels;
        if (!normalization.KeepsChannels(normalization.InputChannels))
        {
            var order = graph.Initializer($"{prefix}input_channels", new long[] { channels }, normalization.ChannelOrder.Select(c => (long)c).ToArray());
            x = graph.Node("Gather", $"{prefix}input_reordered", new[] { x, order }, ("axis", 1L));
        }
        var shape = new long[] { 1, channels, 1, 1 };
        var scaled = graph.Node("Mul", $"{prefix}input_scaled", new[] { x, graph.Initializer($"{prefix}input_multipliers", shape, normalization.Multipliers) });
        return graph.Node("Add", $"{prefix}input_normalized", new[] { scaled, graph.Initializer($"{prefix}input_offsets", shape, normalization.Offsets) });
    }
}
