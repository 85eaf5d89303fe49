namespace MlNetCnn.Network.Import;

/// <summary>What a layer reads besides its node while it is parsed: the graph's constants and its operator set.</summary>
internal sealed class LayerContext
{
    private readonly IReadOnlyDictionary<string, OnnxTensor> constants;

    public LayerContext(IReadOnlyDictionary<string, OnnxTensor> constants, long opset)
    {
        this.constants = constants;
        Opset = opset;
    }

    /// <summary>The default domain's operator set version: where an operand moved from attribute to input.</summary>
    public long Opset { get; }

    /// <summary>The constant (initializer or folded Constant node) called <paramref name="name"/>, or null for a computed value or an omitted input.</summary>
    public OnnxTensor? Constant(string name) => name.Length > 0 && constants.TryGetValue(name, out var tensor) ? tensor : null;

    /// <summary>
    /// The node's input <paramref name="index"/> as a float32 weight tensor (values may be absent in a structure
    /// without weights); null when the input is omitted.
    /// </summary>
    public OnnxTensor? Weight(OnnxNode node, int index, string role)
    {
        var name = node.Input(index);
        if (name.Length == 0)
            return null;
        var tensor = Constant(name)
            ?? throw new InvalidDataException($"{node.Description}: its {role} '{name}' is computed by the graph; MlNetCnn imports {role}s that are initializers.");
        if (tensor.DataType is not (OnnxDataType.Float or OnnxDataType.Double))
            throw new InvalidDataException($"{node.Description}: its {role} '{name}' is {OnnxDataType.Name(tensor.DataType)}; MlNetCnn imports float weights.");
        return tensor;
    }

    /// <summary>The node's input <paramref name="index"/> as constant values that the structure keeps (shapes, bounds); null when omitted.</summary>
    public OnnxTensor? Data(OnnxNode node, int index, string role)
    {
        var name = node.Input(index);
        if (name.Length == 0)
            return null;
        var tensor = Constant(name)
            ?? throw new InvalidDataException($"{node.Description}: its {role} '{name}' is computed by the graph; MlNetCnn imports a {role} that is a constant.");
        if (!tensor.HasData)
            throw new InvalidDataException($"{node.Description}: its {role} '{name}' ({OnnxDataType.Name(tensor.DataType)}) holds no values MlNetCnn can read.");
        return tensor;
    }

    /// <summary>A scalar float input (Clip's bounds, Dropout's ratio, Pad's value), or <paramref name="fallback"/> when omitted.</summary>
    public float Scalar(OnnxNode node, int index, string role, float fallback)
    {
        var tensor = Data(node, index, role);
        if (tensor is null)
            return fallback;
        if (tensor.ElementCount != 1)
            throw new InvalidDataException($"{node.Description}: its {role} '{tensor.Name}' has shape {tensor.Shape}; a scalar is expected.");
        return tensor.Floats?[0] ?? tensor.Int64s![0];
    }
}
