using System.Buffers.Binary;

namespace MlNetCnn.Network.Import;

/// <summary>
/// Decodes an ONNX file (<c>onnx.proto</c>'s ModelProto in protocol-buffers wire format) into an
/// <see cref="OnnxModelFile"/>. Field numbers are ONNX's; fields an image backbone does not use are skipped.
/// </summary>
internal static class OnnxReader
{
    // ModelProto
    private const int ModelIrVersion = 1;
    private const int ModelProducerName = 2;
    private const int ModelProducerVersion = 3;
    private const int ModelGraph = 7;
    private const int ModelOpsetImport = 8;
    private const int ModelMetadataProps = 14;

    // GraphProto
    private const int GraphNode = 1;
    private const int GraphInitializer = 5;
    private const int GraphInput = 11;
    private const int GraphOutput = 12;

    // NodeProto
    private const int NodeInput = 1;
    private const int NodeOutput = 2;
    private const int NodeName = 3;
    private const int NodeOpType = 4;
    private const int NodeAttribute = 5;
    private const int NodeDomain = 7;

    // AttributeProto
    private const int AttributeName = 1;
    private const int AttributeFloat = 2;
    private const int AttributeInt = 3;
    private const int AttributeString = 4;
    private const int AttributeTensor = 5;
    private const int AttributeFloats = 7;
    private const int AttributeInts = 8;
    private const int AttributeType = 20;

    // TensorProto
    private const int TensorDims = 1;
    private const int TensorDataType = 2;
    private const int TensorSegment = 3;
    private const int TensorFloatData = 4;
    private const int TensorInt32Data = 5;
    private const int TensorInt64Data = 7;
    private const int TensorName = 8;
    private const int TensorRawData = 9;
    private const int TensorDoubleData = 10;
    private const int TensorDataLocation = 14;
    private const int DataLocationExternal = 1;

    /// <summary>Reads the file at <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="InvalidDataException">The file is not an ONNX model this reader can read; the message says why and where.</exception>
    public static OnnxModelFile ReadFile(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"There is no ONNX file at '{path}'.", path);
        return Read(File.ReadAllBytes(path), $"'{path}'");
    }

    /// <summary>Reads a model from its bytes; <paramref name="source"/> names it in messages.</summary>
    /// <exception cref="InvalidDataException">The bytes are not an ONNX model this reader can read; the message says why and where.</exception>
    public static OnnxModelFile Read(ReadOnlySpan<byte> bytes, string source)
    {
        if (bytes.Length == 0)
            throw new InvalidDataException($"{source} is empty, not an ONNX model.");
        if (bytes.StartsWith("PK\u0003\u0004"u8))
            throw new InvalidDataException($"{source} is a zip archive, not an ONNX model (a .onnx file is one protocol-buffers message).");
        try
        {
            return ReadModel(new ProtoReader(bytes, 0, "ModelProto"), source);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{source} is not an ONNX model this reader can read. {e.Message}", e);
        }
    }

    private static OnnxModelFile ReadModel(ProtoReader reader, string source)
    {
        long irVersion = 0;
        long? opset = null;
        string producer = "", producerVersion = "";
        GraphParts? graph = null;
        var metadata = new List<KeyValuePair<string, string>>();
        while (reader.Next())
        {
            switch (reader.Field)
            {
                case ModelIrVersion:
                    irVersion = reader.Int64();
                    break;
                case ModelProducerName:
                    producer = reader.String();
                    break;
                case ModelProducerVersion:
                    producerVersion = reader.String();
                    break;
                case ModelGraph:
                    graph = ReadGraph(reader.Message("GraphProto"));
                    break;
                case ModelOpsetImport:
                    var (domain, version) = ReadOpset(reader.Message("OperatorSetIdProto"));
                    if (domain is "" or "ai.onnx")
                        opset = version;
                    break;
                case ModelMetadataProps:
                    metadata.Add(ReadEntry(reader.Message("StringStringEntryProto")));
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }
        if (graph is null)
            throw new InvalidDataException("It has no graph (ModelProto field 7).");
        if (irVersion <= 0)
            throw new InvalidDataException($"Its IR version is {irVersion}; ONNX files have 1 or more.");
        if (opset is null)
            throw new InvalidDataException("It imports no operator set of ONNX's own domain (opset_import with domain \"\" or \"ai.onnx\").");
        return new OnnxModelFile(irVersion, opset.Value, $"{producer} {producerVersion}".Trim(),
            graph.Inputs, graph.Outputs, graph.Nodes, graph.Initializers, metadata);
    }

    private sealed record GraphParts(List<OnnxValueInfo> Inputs, List<OnnxValueInfo> Outputs, List<OnnxNode> Nodes, List<OnnxTensor> Initializers);

    private static GraphParts ReadGraph(ProtoReader reader)
    {
        var graph = new GraphParts(new(), new(), new(), new());
        while (reader.Next())
        {
            switch (reader.Field)
            {
                case GraphNode:
                    graph.Nodes.Add(ReadNode(reader.Message("NodeProto")));
                    break;
                case GraphInitializer:
                    graph.Initializers.Add(ReadTensor(reader.Message("TensorProto")));
                    break;
                case GraphInput:
                    graph.Inputs.Add(ReadValueInfo(reader.Message("ValueInfoProto")));
                    break;
                case GraphOutput:
                    graph.Outputs.Add(ReadValueInfo(reader.Message("ValueInfoProto")));
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }
        return graph;
    }

    private static (string Domain, long Version) ReadOpset(ProtoReader reader)
    {
        string domain = "";
        long version = 0;
        while (reader.Next())
        {
            if (reader.Field == 1)
                domain = reader.String();
            else if (reader.Field == 2)
                version = reader.Int64();
            else
                reader.Skip();
        }
        return (domain, version);
    }

    private static KeyValuePair<string, string> ReadEntry(ProtoReader reader)
    {
        string key = "", value = "";
        while (reader.Next())
        {
            if (reader.Field == 1)
                key = reader.String();
            else if (reader.Field == 2)
                value = reader.String();
            else
                reader.Skip();
        }
        return new(key, value);
    }

    private static OnnxNode ReadNode(ProtoReader reader)
    {
        var inputs = new List<string>();
        var outputs = new List<string>();
        var attributes = new List<OnnxAttribute>();
        string name = "", opType = "", domain = "";
        while (reader.Next())
        {
            switch (reader.Field)
            {
                case NodeInput:
                    inputs.Add(reader.String());
                    break;
                case NodeOutput:
                    outputs.Add(reader.String());
                    break;
                case NodeName:
                    name = reader.String();
                    break;
                case NodeOpType:
                    opType = reader.String();
                    break;
                case NodeAttribute:
                    attributes.Add(ReadAttribute(reader.Message("AttributeProto")));
                    break;
                case NodeDomain:
                    domain = reader.String();
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }
        if (opType.Length == 0)
            throw new InvalidDataException($"Node '{name}' has no op_type.");
        return new OnnxNode(opType, name, domain, inputs, outputs, attributes);
    }

    private static OnnxAttribute ReadAttribute(ProtoReader reader)
    {
        string name = "";
        var type = OnnxAttributeType.Undefined;
        float? f = null;
        long? i = null;
        string? s = null;
        OnnxTensor? t = null;
        List<float>? floats = null;
        List<long>? ints = null;
        while (reader.Next())
        {
            switch (reader.Field)
            {
                case AttributeName:
                    name = reader.String();
                    break;
                case AttributeType:
                    type = (OnnxAttributeType)reader.Int64();
                    break;
                case AttributeFloat:
                    f = reader.Float();
                    break;
                case AttributeInt:
                    i = reader.Int64();
                    break;
                case AttributeString:
                    s = reader.String();
                    break;
                case AttributeTensor:
                    t = ReadTensor(reader.Message("TensorProto"));
                    break;
                case AttributeFloats:
                    reader.Floats(floats ??= new List<float>());
                    break;
                case AttributeInts:
                    reader.Int64s(ints ??= new List<long>());
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }
        // Files from before AttributeProto.type (IR 1) say the type by the field they set.
        if (type == OnnxAttributeType.Undefined)
        {
            type = f is not null ? OnnxAttributeType.Float
                : i is not null ? OnnxAttributeType.Int
                : s is not null ? OnnxAttributeType.String
                : t is not null ? OnnxAttributeType.Tensor
                : floats is not null ? OnnxAttributeType.Floats
                : ints is not null ? OnnxAttributeType.Ints
                : OnnxAttributeType.Undefined;
        }
        return new OnnxAttribute(name, type, f ?? 0, i ?? 0, s, t,
            type == OnnxAttributeType.Floats ? (floats?.ToArray() ?? Array.Empty<float>()) : null,
            type == OnnxAttributeType.Ints ? (ints?.ToArray() ?? Array.Empty<long>()) : null);
    }

    private static OnnxTensor ReadTensor(ProtoReader reader)
    {
        var dims = new List<long>();
        int dataType = 0;
        string name = "";
        List<float>? floats = null;
        List<long>? longs = null;
        var raw = ReadOnlySpan<byte>.Empty;
        var hasRaw = false;
        while (reader.Next())
        {
            switch (reader.Field)
            {
                case TensorDims:
                    reader.Int64s(dims);
                    break;
                case TensorDataType:
                    dataType = (int)reader.Int64();
                    break;
                case TensorName:
                    name = reader.String();
                    break;
                case TensorFloatData:
                    reader.Floats(floats ??= new List<float>());
                    break;
                case TensorDoubleData:
                    reader.Doubles(floats ??= new List<float>());
                    break;
                case TensorInt32Data:
                case TensorInt64Data:
                    reader.Int64s(longs ??= new List<long>());
                    break;
                case TensorRawData:
                    raw = reader.Bytes(out _);
                    hasRaw = true;
                    break;
                case TensorSegment:
                    throw new InvalidDataException($"Tensor '{name}' is stored in segments, which this reader does not read.");
                case TensorDataLocation:
                    if (reader.Int64() == DataLocationExternal)
                        throw new InvalidDataException($"Tensor '{name}' keeps its data in an external file; save the model with its weights inside (onnx.save_model(..., save_as_external_data=False)).");
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }
        var tensor = new OnnxTensor(name, dataType, dims.ToArray(), null, null);
        if (dims.Any(d => d < 0))
            throw new InvalidDataException($"Tensor '{name}' has a negative dimension: {tensor.Shape}.");
        var count = tensor.ElementCount;
        if (hasRaw)
            tensor = FromRaw(tensor, raw);
        else if (floats is not null && dataType is OnnxDataType.Float or OnnxDataType.Double)
            tensor = tensor with { Floats = floats.ToArray() };
        else if (longs is not null && dataType is OnnxDataType.Int32 or OnnxDataType.Int64)
            tensor = tensor with { Int64s = longs.ToArray() };
        else if (count == 0 && dataType is OnnxDataType.Float or OnnxDataType.Double)
            tensor = tensor with { Floats = Array.Empty<float>() };
        else if (count == 0 && dataType is OnnxDataType.Int32 or OnnxDataType.Int64)
            tensor = tensor with { Int64s = Array.Empty<long>() };

        var held = tensor.Floats?.Length ?? tensor.Int64s?.Length;
        if (held is { } values && values != count)
            throw new InvalidDataException($"Tensor '{name}' has dims {tensor.Shape} ({count:N0} values) but holds {values:N0}.");
        return tensor;
    }

    private static OnnxTensor FromRaw(OnnxTensor tensor, ReadOnlySpan<byte> raw)
    {
        int size = tensor.DataType switch
        {
            OnnxDataType.Float or OnnxDataType.Int32 => 4,
            OnnxDataType.Int64 or OnnxDataType.Double => 8,
            _ => 0,
        };
        // Other element types keep their shape only; the importer refuses them where it needs values.
        if (size == 0)
            return tensor;
        if (raw.Length != tensor.ElementCount * size)
            throw new InvalidDataException($"Tensor '{tensor.Name}' has dims {tensor.Shape} ({tensor.ElementCount:N0} {OnnxDataType.Name(tensor.DataType)} values) but {raw.Length:N0} bytes of raw_data.");
        switch (tensor.DataType)
        {
            case OnnxDataType.Float:
                return tensor with { Floats = ProtoReader.LittleEndianFloats(raw) };
            case OnnxDataType.Double:
                var doubles = new float[raw.Length / 8];
                for (var i = 0; i < doubles.Length; i++)
                    doubles[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(raw[(8 * i)..]);
                return tensor with { Floats = doubles };
            case OnnxDataType.Int32:
                var ints = new long[raw.Length / 4];
                for (var i = 0; i < ints.Length; i++)
                    ints[i] = BinaryPrimitives.ReadInt32LittleEndian(raw[(4 * i)..]);
                return tensor with { Int64s = ints };
            default:
                var longs = new long[raw.Length / 8];
                for (var i = 0; i < longs.Length; i++)
                    longs[i] = BinaryPrimitives.ReadInt64LittleEndian(raw[(8 * i)..]);
                return tensor with { Int64s = longs };
        }
    }

    private static OnnxValueInfo ReadValueInfo(ProtoReader reader)
    {
        string name = "";
        int elementType = 0;
        List<OnnxDimension>? shape = null;
        while (reader.Next())
        {
            if (reader.Field == 1)
                name = reader.String();
            else if (reader.Field == 2)
            {
                // TypeProto: field 1 is tensor_type (elem_type 1, shape 2); other kinds (sequences, maps) are skipped.
                var type = reader.Message("TypeProto");
                while (type.Next())
                {
                    if (type.Field != 1)
                    {
                        type.Skip();
                        continue;
                    }
                    var tensorType = type.Message("TypeProto.Tensor");
                    while (tensorType.Next())
                    {
                        if (tensorType.Field == 1)
                            elementType = (int)tensorType.Int64();
                        else if (tensorType.Field == 2)
                            shape = ReadShape(tensorType.Message("TensorShapeProto"));
                        else
                            tensorType.Skip();
                    }
                }
            }
            else
                reader.Skip();
        }
        return new OnnxValueInfo(name, elementType, shape);
    }

    private static List<OnnxDimension> ReadShape(ProtoReader reader)
    {
        var dims = new List<OnnxDimension>();
        while (reader.Next())
        {
            if (reader.Field != 1)
            {
                reader.Skip();
                continue;
            }
            var dim = reader.Message("TensorShapeProto.Dimension");
            long? value = null;
            string? parameter = null;
            while (dim.Next())
            {
                if (dim.Field == 1)
                    value = dim.Int64();
                else if (dim.Field == 2)
                    parameter = dim.String();
                else
                    dim.Skip();
            }
            dims.Add(new OnnxDimension(value, parameter));
        }
        return dims;
    }
}
