namespace MlNetCnn.Onnx;

/// <summary>
/// Builds an ONNX model (<c>onnx.proto</c>'s ModelProto) node by node. Field numbers are ONNX's; only the messages
/// and fields a feed-forward image classifier needs are written.
/// </summary>
internal sealed class OnnxGraph
{
    /// <summary>ONNX IR version 8 (ONNX 1.10): read by every ONNX Runtime since 1.10 and by ML.NET's OnnxTransformer.</summary>
    public const long IrVersion = 8;

    /// <summary>The default-domain operator set the graph uses (Squeeze's axes as an input, GreaterOrEqual).</summary>
    public const long OpsetVersion = 13;

    // onnx.proto TensorProto.DataType
    public const int Float = 1;
    public const int Int64 = 7;
    public const int Bool = 9;

    // AttributeProto.AttributeType
    private const int AttributeFloat = 1;
    private const int AttributeInt = 2;
    private const int AttributeInts = 7;

    private readonly ProtoMessage graph = new();
    private readonly HashSet<string> names = new(StringComparer.Ordinal);
    private int nodeCount;

    public OnnxGraph(string name)
    {
        graph.String(2, name);
    }

    /// <summary>Adds a float initializer (a constant tensor: weights, statistics).</summary>
    public string Initializer(string name, long[] dims, float[] values)
    {
        Claim(name);
        var tensor = new ProtoMessage().PackedInt64(1, dims).Varint(2, Float).String(8, name).RawFloats(9, values);
        graph.Message(5, tensor);
        return name;
    }

    /// <summary>Adds an int64 initializer.</summary>
    public string Initializer(string name, long[] dims, long[] values)
    {
        Claim(name);
        var tensor = new ProtoMessage().PackedInt64(1, dims).Varint(2, Int64).String(8, name).PackedInt64(7, values);
        graph.Message(5, tensor);
        return name;
    }

    /// <summary>Adds a node; returns its (single) output's name.</summary>
    public string Node(string opType, string output, IReadOnlyList<string> inputs, params (string Name, object Value)[] attributes)
    {
        Claim(output);
        var node = new ProtoMessage();
        foreach (var input in inputs)
            node.String(1, input);
        node.String(2, output);
        node.String(3, $"{opType}_{nodeCount++}");
        node.String(4, opType);
        foreach (var (name, value) in attributes)
            node.Message(5, Attribute(name, value));
        graph.Message(1, node);
        return output;
    }

    /// <summary>Declares a graph input; a null dimension is the symbolic batch size <paramref name="batchName"/>.</summary>
    public void Input(string name, int elementType, IReadOnlyList<long?> dims, string batchName) => graph.Message(11, ValueInfo(name, elementType, dims, batchName));

    /// <summary>Declares a graph output.</summary>
    public void Output(string name, int elementType, IReadOnlyList<long?> dims, string batchName, string doc)
    {
        var info = ValueInfo(name, elementType, dims, batchName);
        info.String(3, doc);
        graph.Message(12, info);
    }

    /// <summary>The model: this graph, the opset, producer and metadata.</summary>
    public ProtoMessage Model(string producer, string producerVersion, string doc, IEnumerable<KeyValuePair<string, string>> metadata)
    {
        var model = new ProtoMessage()
            .Varint(1, IrVersion)
            .String(2, producer)
            .String(3, producerVersion)
            .String(6, doc)
            .Message(7, graph)
            .Message(8, new ProtoMessage().String(1, "").Varint(2, OpsetVersion));
        foreach (var (key, value) in metadata)
            model.Message(14, new ProtoMessage().String(1, key).String(2, value));
        return model;
    }

    /// <summary>Whether a value (initializer, input or node output) of this name exists.</summary>
    public bool HasValue(string name) => names.Contains(name);

    private void Claim(string name)
    {
        if (!names.Add(name))
            throw new InvalidOperationException($"The ONNX graph already has a value named '{name}'.");
    }

    private static ProtoMessage ValueInfo(string name, int elementType, IReadOnlyList<long?> dims, string batchName)
    {
        var shape = new ProtoMessage();
        foreach (var dim in dims)
            shape.Message(1, dim is { } value ? new ProtoMessage().Varint(1, value) : new ProtoMessage().String(2, batchName));
        var tensorType = new ProtoMessage().Varint(1, elementType).Message(2, shape);
        return new ProtoMessage().String(1, name).Message(2, new ProtoMessage().Message(1, tensorType));
    }

    private static ProtoMessage Attribute(string name, object value)
    {
        var attribute = new ProtoMessage().String(1, name);
        return value switch
        {
            float f => attribute.Float(2, f).Varint(20, AttributeFloat),
            long i => attribute.Varint(3, i).Varint(20, AttributeInt),
            int i => attribute.Varint(3, i).Varint(20, AttributeInt),
            long[] ints => attribute.PackedInt64(8, ints).Varint(20, AttributeInts),
            _ => throw new ArgumentOutOfRangeException(nameof(value), $"Attribute '{name}' has a value of type {value.GetType().Name}, which the ONNX writer does not write."),
        };
    }
}
