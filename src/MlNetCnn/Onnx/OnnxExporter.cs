using MlNetCnn.Network;
using MlNetCnn.Tasks;

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
    public static ProtoMessage Build(NetworkShape shape, ImageGeometry geometry, NetworkWeights weights, CnnTask task, float threshold, IEnumerable<KeyValuePair<string, string>> metadata)
    {
        weights.CheckFits(shape, geometry);
        var graph = new OnnxGraph("MlNetCnn");
        graph.Input(InputName, OnnxGraph.Float, new long?[] { null, geometry.Channels, geometry.Height, geometry.Width }, BatchDimension);

        var x = InputName;
        foreach (var layer in NetworkLayout.Layers(shape, geometry))
            x = AddLayer(graph, layer, x, weights);

        return Finish(graph, x, task, threshold, $"MlNetCnn {task.Name} image classifier: {shape} on images of {geometry}.", metadata);
    }

    /// <summary>
    /// Builds the model of <see cref="ResidualNetwork"/> with <paramref name="stages"/>: Conv (3×3, padding 1; stride 2
    /// and a 1×1 stride-2 shortcut where a stage halves the resolution), BatchNormalization, Relu, Add,
    /// GlobalAveragePool and Gemm.
    /// </summary>
    public static ProtoMessage BuildResidual(IReadOnlyList<int> stages, ImageGeometry geometry, NetworkWeights weights, CnnTask task, float threshold, IEnumerable<KeyValuePair<string, string>> metadata)
    {
        ResidualNetwork.CheckFits(geometry);
        var graph = new OnnxGraph("MlNetCnn");
        graph.Input(InputName, OnnxGraph.Float, new long?[] { null, geometry.Channels, geometry.Height, geometry.Width }, BatchDimension);
        string Weight(string name)
        {
            var tensor = weights[name];
            return graph.Initializer(tensor.Name, tensor.Shape, tensor.Values);
        }
        string Conv(string name, string x, int kernel, int stride) => graph.Node("Conv", name, new[] { x, Weight($"{name}.weight") },
            ("kernel_shape", new long[] { kernel, kernel }), ("strides", new long[] { stride, stride }), ("pads", Enumerable.Repeat((long)(kernel / 2), 4).ToArray()));
        string Norm(string name, string x) => graph.Node("BatchNormalization", name,
            new[] { x, Weight($"{name}.weight"), Weight($"{name}.bias"), Weight($"{name}.running_mean"), Weight($"{name}.running_var") },
            ("epsilon", NetworkLayout.BatchNormEpsilon));
        string Relu(string x) => graph.Node("Relu", $"{x}_relu", new[] { x });

        var y = Relu(Norm("stem.bn", Conv("stem.conv", InputName, 3, 1)));
        for (var i = 0; i < stages.Count; i++)
        {
            var block = $"stages.{i}";
            var stride = i == 0 ? 1 : 2;
            var main = Relu(Norm($"{block}.bn1", Conv($"{block}.conv1", y, 3, stride)));
            main = Norm($"{block}.bn2", Conv($"{block}.conv2", main, 3, 1));
            var changes = stride != 1 || (i == 0 ? stages[0] : stages[i - 1]) != stages[i];
            var skip = changes ? Norm($"{block}.shortcut.bn", Conv($"{block}.shortcut.conv", y, 1, stride)) : y;
            y = Relu(graph.Node("Add", $"{block}_sum", new[] { main, skip }));
        }
        var pooled = graph.Node("GlobalAveragePool", "pool", new[] { y });
        var flat = graph.Node("Flatten", "flatten", new[] { pooled }, ("axis", 1L));
        var logit = graph.Node("Gemm", "head", new[] { flat, Weight("head.weight"), Weight("head.bias") }, ("transB", 1L));
        if (weights.Tensors.FirstOrDefault(t => !graph.HasValue(t.Name)) is { } unused)
            throw new InvalidDataException($"The residual network's weights hold a tensor '{unused.Name}' that its layout does not use.");
        return Finish(graph, logit, task, threshold, $"MlNetCnn {task.Name} image classifier: residual network [{string.Join(", ", stages)}] on images of {geometry}.", metadata);
    }

    /// <summary>
    /// Builds the model of a network whose body <paramref name="body"/> writes into the graph from the input's name,
    /// returning its <c>[N, K]</c> logits; the input, the task's tail and the metadata as for the built-in network.
    /// </summary>
    public static ProtoMessage Build(ImageGeometry geometry, CnnTask task, float threshold, string description, IEnumerable<KeyValuePair<string, string>> metadata,
        Func<OnnxGraph, string, string> body)
    {
        var graph = new OnnxGraph("MlNetCnn");
        graph.Input(InputName, OnnxGraph.Float, new long?[] { null, geometry.Channels, geometry.Height, geometry.Width }, BatchDimension);
        var logits = body(graph, InputName);
        return Finish(graph, logits, task, threshold, $"MlNetCnn {task.Name} image classifier: {description} on images of {geometry}.", metadata);
    }

    /// <summary>Adds the task's output columns after the network's <c>[N, K]</c> logits <paramref name="x"/>, and wraps the graph in a model.</summary>
    private static ProtoMessage Finish(OnnxGraph graph, string x, CnnTask task, float threshold, string doc, IEnumerable<KeyValuePair<string, string>> metadata)
    {
        task.AddOnnxTail(graph, x, threshold, BatchDimension);
        var version = typeof(OnnxExporter).Assembly.GetName().Version?.ToString() ?? "";
        return graph.Model("MlNetCnn", version, doc, metadata);
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
