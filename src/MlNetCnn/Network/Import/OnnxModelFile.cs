namespace MlNetCnn.Network.Import;

/// <summary>
/// An ONNX model as plain records (<c>onnx.proto</c>'s ModelProto, the parts an image backbone uses): what
/// <see cref="OnnxReader"/> decodes and <see cref="OnnxFileWriter"/> encodes.
/// </summary>
/// <param name="IrVersion">The file's IR version.</param>
/// <param name="Opset">The default domain's operator set version (<c>""</c> or <c>ai.onnx</c>).</param>
/// <param name="Producer">producer_name and producer_version, e.g. "CNTK 2.6".</param>
/// <param name="Inputs">The graph's inputs (initializers listed among them, as IR &lt; 4 files do, are included).</param>
/// <param name="Outputs">The graph's outputs.</param>
/// <param name="Nodes">The nodes in file order.</param>
/// <param name="Initializers">The constant tensors: weights, statistics, shapes.</param>
/// <param name="Metadata">metadata_props in file order.</param>
internal sealed record OnnxModelFile(
    long IrVersion,
    long Opset,
    string Producer,
    IReadOnlyList<OnnxValueInfo> Inputs,
    IReadOnlyList<OnnxValueInfo> Outputs,
    IReadOnlyList<OnnxNode> Nodes,
    IReadOnlyList<OnnxTensor> Initializers,
    IReadOnlyList<KeyValuePair<string, string>> Metadata);

/// <summary>TensorProto.DataType values the importer reads.</summary>
internal static class OnnxDataType
{
    public const int Float = 1;
    public const int Int32 = 6;
    public const int Int64 = 7;
    public const int Double = 11;

    /// <summary>The type's ONNX name, for messages.</summary>
    public static string Name(int type) => type switch
    {
        Float => "float",
        2 => "uint8",
        3 => "int8",
        4 => "uint16",
        5 => "int16",
        Int32 => "int32",
        Int64 => "int64",
        8 => "string",
        9 => "bool",
        10 => "float16",
        Double => "double",
        16 => "bfloat16",
        _ => $"type {type}",
    };
}

/// <summary>
/// A constant tensor: an initializer, or a Constant node's value. Float types are held as <see cref="Floats"/>,
/// integer types as <see cref="Int64s"/>; both are null in a structure saved without weights.
/// </summary>
/// <param name="Name">The value name.</param>
/// <param name="DataType">An <see cref="OnnxDataType"/>.</param>
/// <param name="Dims">The dimensions (empty for a scalar).</param>
/// <param name="Floats">The values of a float or double tensor, row-major.</param>
/// <param name="Int64s">The values of an int32 or int64 tensor, row-major.</param>
internal sealed record OnnxTensor(string Name, int DataType, long[] Dims, float[]? Floats, long[]? Int64s)
{
    /// <summary>The number of values the dimensions call for.</summary>
    public long ElementCount => Dims.Aggregate(1L, (product, d) => checked(product * d));

    /// <summary>Whether the values are present.</summary>
    public bool HasData => Floats is not null || Int64s is not null;

    /// <summary>The dimensions as text, e.g. "[64, 3, 7, 7]".</summary>
    public string Shape => $"[{string.Join(", ", Dims)}]";

    /// <summary>The same tensor without its values.</summary>
    public OnnxTensor WithoutData() => this with { Floats = null, Int64s = null };
}

/// <summary>AttributeProto.AttributeType.</summary>
internal enum OnnxAttributeType
{
    Undefined = 0,
    Float = 1,
    Int = 2,
    String = 3,
    Tensor = 4,
    Graph = 5,
    Floats = 6,
    Ints = 7,
    Strings = 8,
    Tensors = 9,
    Graphs = 10,
    SparseTensor = 11,
    SparseTensors = 12,
    TypeProto = 13,
    TypeProtos = 14,
}

/// <summary>One attribute of a node; only the field of its <see cref="Type"/> is meaningful.</summary>
internal sealed record OnnxAttribute(
    string Name,
    OnnxAttributeType Type,
    float Float = 0,
    long Int = 0,
    string? String = null,
    OnnxTensor? Tensor = null,
    float[]? Floats = null,
    long[]? Ints = null);

/// <summary>A graph input or output: name, element type and shape (null when the file gives none).</summary>
internal sealed record OnnxValueInfo(string Name, int ElementType, IReadOnlyList<OnnxDimension>? Shape)
{
    /// <summary>The shape as text, e.g. "[1, 3, 224, 224]" or "[N, 3, 224, 224]".</summary>
    public string ShapeText => Shape is null ? "(no shape)" : $"[{string.Join(", ", Shape)}]";
}

/// <summary>One dimension of a value's shape: a number, a symbolic name, or neither.</summary>
internal readonly record struct OnnxDimension(long? Value, string? Parameter)
{
    /// <inheritdoc />
    public override string ToString() => Value?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? Parameter ?? "?";
}

/// <summary>One node: an operator applied to named values.</summary>
/// <param name="OpType">The operator, e.g. "Conv".</param>
/// <param name="Name">The node's name (may be empty in a file).</param>
/// <param name="Domain">The operator's domain; empty for ONNX's own.</param>
/// <param name="Inputs">Input value names; an empty name is an omitted optional input.</param>
/// <param name="Outputs">Output value names.</param>
/// <param name="Attributes">The attributes in file order.</param>
internal sealed record OnnxNode(
    string OpType,
    string Name,
    string Domain,
    IReadOnlyList<string> Inputs,
    IReadOnlyList<string> Outputs,
    IReadOnlyList<OnnxAttribute> Attributes)
{
    /// <summary>How messages name the node: "Conv node 'Convolution249'".</summary>
    public string Description => $"{OpType} node '{Name}'";

    /// <summary>The attribute called <paramref name="name"/>, or null.</summary>
    public OnnxAttribute? Attribute(string name) => Attributes.FirstOrDefault(a => a.Name == name);

    /// <summary>An int attribute, or <paramref name="fallback"/> when absent.</summary>
    public long Int(string name, long fallback) => Typed(name, OnnxAttributeType.Int)?.Int ?? fallback;

    /// <summary>A float attribute, or <paramref name="fallback"/> when absent.</summary>
    public float Float(string name, float fallback) => Typed(name, OnnxAttributeType.Float)?.Float ?? fallback;

    /// <summary>An ints attribute, or null when absent.</summary>
    public long[]? Ints(string name) => Typed(name, OnnxAttributeType.Ints)?.Ints;

    /// <summary>A string attribute, or <paramref name="fallback"/> when absent.</summary>
    public string String(string name, string fallback) => Typed(name, OnnxAttributeType.String)?.String ?? fallback;

    /// <summary>The input at <paramref name="index"/>, or empty when the node has fewer inputs (an omitted optional input).</summary>
    public string Input(int index) => index < Inputs.Count ? Inputs[index] : "";

    private OnnxAttribute? Typed(string name, OnnxAttributeType type)
    {
        var attribute = Attribute(name);
        if (attribute is not null && attribute.Type != type)
            throw new InvalidDataException($"{Description} has attribute '{name}' of type {attribute.Type}; ONNX defines it as {type}.");
        return attribute;
    }
}
