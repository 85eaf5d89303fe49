using MlNetCnn.Network;

namespace MlNetCnn.Onnx;

/// <summary>
/// Writes a trained network as an ONNX model: input <c>Features</c> float <c>[N, C, H, W]</c>; outputs <c>Score</c>
/// (float <c>[N]</c>, the logit), <c>Probability</c> (float <c>[N]</c>) and <c>PredictedLabel</c> (bool <c>[N]</c>,
/// Probability ≥ threshold). The batch size N is symbolic.
/// </summary>
internal static class OnnxExporter
{
    /// <summary>The input's name.</summary>
    public const string InputName = "Features";

    /// <summary>The symbolic batch dimension.</summary>
    public const string BatchDimension = "N";

    /// <summary>Metadata keys start with this.</summary>
    public const string MetadataPrefix = "mlnetcnn.";

    /// <summary>Builds the model; <paramref name="metadata"/> goes into its metadata_props.</summary>
    public static ProtoMessage Build(NetworkShape shape, ImageGeometry geometry, NetworkWeights weights, float threshold, IEnumerable<KeyValuePair<string, string>> metadata)
    {
        weights.CheckFits(shape, geometry);
        var graph = new OnnxGraph("MlNetCnn");
        graph.Input(InputName, OnnxGraph.Float, new long?[] { null, geometry.Channels, geometry.Height, geometry.Width }, BatchDimension);

        var x = InputName;
        foreach (var layer in NetworkLayout.Layers(shape, geometry))
            x = AddLayer(graph, layer, x, weights);

        var score = graph.Node("Squeeze", CnnTransformer.ScoreColumnName, new[] { x, graph.Initializer("squeeze_axes", new long[] { 1 }, new long[] { 1 }) });
        var probability = graph.Node("Sigmoid", CnnTransformer.ProbabilityColumnName, new[] { score });
        graph.Node("GreaterOrEqual", CnnTransformer.PredictedLabelColumnName, new[] { probability, graph.Initializer("threshold", Array.Empty<long>(), new[] { threshold }) });

        var batch = new long?[] { null };
        graph.Output(CnnTransformer.ScoreColumnName, OnnxGraph.Float, batch, BatchDimension, "The raw logit.");
        graph.Output(CnnTransformer.ProbabilityColumnName, OnnxGraph.Float, batch, BatchDimension, "sigmoid(Score).");
        graph.Output(CnnTransformer.PredictedLabelColumnName, OnnxGraph.Bool, batch, BatchDimension, $"Probability >= {threshold:R}.");

        var version = typeof(OnnxExporter).Assembly.GetName().Version?.ToString() ?? "";
        return graph.Model("MlNetCnn", version, $"MlNetCnn binary image classifier: {shape} on images of {geometry}.", metadata);
    }

    private static string AddLayer(OnnxGraph graph, LayerSpec layer, string x, NetworkWeights weights)
    {
        string Weight(string part)
        {
            var tensor = weights[$"{layer.Name}.{part}"];
            return graph.Initializer(tensor.Name, tensor.Shape, tensor.Values);
        }
        var output = string.IsNullOrEmpty(layer.Name) ? $"{x}_{layer.Kind.ToString().ToLowerInvariant()}" : layer.Name;
        return layer.Kind switch
        {
            LayerKind.Convolution => graph.Node("Conv", output, new[] { x, Weight("weight"), Weight("bias") },
                ("kernel_shape", new long[] { layer.Window, layer.Window })),
            LayerKind.BatchNorm => graph.Node("BatchNormalization", output,
                new[] { x, Weight("weight"), Weight("bias"), Weight("running_mean"), Weight("running_var") },
                ("epsilon", NetworkLayout.BatchNormEpsilon)),
            LayerKind.Relu => graph.Node("Relu", output, new[] { x }),
            LayerKind.MaxPool => graph.Node("MaxPool", output, new[] { x },
                ("kernel_shape", new long[] { layer.Window, layer.Window }), ("strides", new long[] { layer.Window, layer.Window })),
            LayerKind.Flatten => graph.Node("Flatten", output, new[] { x }, ("axis", 1L)),
            LayerKind.Linear => graph.Node("Gemm", output, new[] { x, Weight("weight"), Weight("bias") }, ("transB", 1L)),
            _ => throw new NotSupportedException($"Layer '{layer.Name}' ({layer.Kind}) has no ONNX form."),
        };
    }
}
