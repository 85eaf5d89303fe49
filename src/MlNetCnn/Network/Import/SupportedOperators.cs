namespace MlNetCnn.Network.Import;

/// <summary>The ONNX operators MlNetCnn imports, and the layer each becomes.</summary>
internal static class SupportedOperators
{
    /// <summary>Every operator the importer reads, in the order the refusal lists them.</summary>
    public static readonly IReadOnlyList<string> Names = new[]
    {
        "Conv", "BatchNormalization", "Relu", "Clip", "LeakyRelu", "Sigmoid", "HardSigmoid", "HardSwish",
        "Add", "Mul", "Concat", "MaxPool", "AveragePool", "GlobalAveragePool", "Flatten", "Reshape (a flattening)",
        "Gemm", "MatMul", "Pad (constant)", "Dropout", "Identity", "Constant",
    };

    private static readonly HashSet<string> Known = new(Names.Select(n => n.Split(' ')[0]), StringComparer.Ordinal);

    /// <summary>Whether <paramref name="node"/>'s operator is one of <see cref="Names"/>, in ONNX's own domain.</summary>
    public static bool Supports(OnnxNode node) => node.Domain is "" or "ai.onnx" && Known.Contains(node.OpType);

    /// <summary>Throws, naming each unsupported operator with its first node and the supported list, when <paramref name="nodes"/> use any.</summary>
    /// <exception cref="NotSupportedException">Some node's operator is not supported.</exception>
    public static void Check(IEnumerable<OnnxNode> nodes, string source)
    {
        var unsupported = nodes.Where(n => !Supports(n))
            .GroupBy(n => n.Domain.Length == 0 ? n.OpType : $"{n.Domain}.{n.OpType}")
            .Select(g => $"'{g.Key}' (node '{g.First().Name}'{(g.Count() > 1 ? $" and {g.Count() - 1} more" : "")})")
            .ToList();
        if (unsupported.Count == 0)
            return;
        var what = unsupported.Count == 1 ? $"operator {unsupported[0]}" : $"operators {string.Join(", ", unsupported)}";
        throw new NotSupportedException(
            $"{source} uses {what}, which MlNetCnn cannot import. It imports {string.Join(", ", Names)}. " +
            "Cut the graph before the node (the output name), or export the model with these operators only.");
    }

    /// <summary>The layer for <paramref name="node"/> (a supported one); <paramref name="biasAdd"/> is the Add folded into a MatMul.</summary>
    public static GraphLayer Create(string name, OnnxNode node, LayerContext context, OnnxNode? biasAdd) => node.OpType switch
    {
        "Conv" => new ConvLayer(name, node, context),
        "BatchNormalization" => new BatchNormLayer(name, node, context),
        "MaxPool" or "AveragePool" or "GlobalAveragePool" => new PoolLayer(name, node),
        "Gemm" or "MatMul" => new DenseLayer(name, node, context, biasAdd),
        "Add" or "Mul" => new ArithmeticLayer(name, node, context),
        "Concat" => new ConcatLayer(name, node, context),
        "Flatten" or "Reshape" => new FlattenLayer(name, node, context),
        "Pad" => new PadLayer(name, node, context),
        _ => new ActivationLayer(name, node, context),
    };
}
