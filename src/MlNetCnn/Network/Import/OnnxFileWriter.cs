using MlNetCnn.Onnx;

namespace MlNetCnn.Network.Import;

/// <summary>
/// Encodes an <see cref="OnnxModelFile"/> as ONNX's ModelProto with <see cref="ProtoMessage"/>: the inverse of
/// <see cref="OnnxReader"/>, field for field. A tensor without values is written with its name, type and dims only.
/// </summary>
internal static class OnnxFileWriter
{
    /// <summary>The model's bytes.</summary>
    public static byte[] ToBytes(OnnxModelFile model)
    {
        var graph = new ProtoMessage();
        foreach (var node in model.Nodes)
            graph.Message(1, Node(node));
        graph.String(2, "graph");
        foreach (var tensor in model.Initializers)
            graph.Message(5, Tensor(tensor));
        foreach (var input in model.Inputs)
            graph.Message(11, ValueInfo(input));
        foreach (var output in model.Outputs)
            graph.Message(12, ValueInfo(output));

        var proto = new ProtoMessage()
            .Varint(1, model.IrVersion)
            .String(2, model.Producer)
            .Message(7, graph)
            .Message(8, new ProtoMessage().String(1, "").Varint(2, model.Opset));
        foreach (var (key, value) in model.Metadata)
            proto.Message(14, new ProtoMessage().String(1, key).String(2, value));
        return proto.ToArray();
    }

    private static ProtoMessage Node(OnnxNode node)
    {
        var message = new ProtoMessage();
        foreach (var input in node.Inputs)
            message.String(1, input);
        foreach (var output in node.Outputs)
            message.String(2, output);
        message.String(3, node.Name).String(4, node.OpType);
        foreach (var attribute in node.Attributes)
            message.Message(5, Attribute(attribute));
        if (node.Domain.Length > 0)
            message.String(7, node.Domain);
        return message;
    }

    private static ProtoMessage Attribute(OnnxAttribute attribute)
    {
        var message = new ProtoMessage().String(1, attribute.Name);
        switch (attribute.Type)
        {
            case OnnxAttributeType.Float:
                message.Float(2, attribute.Float);
                break;
            case OnnxAttributeType.Int:
                message.Varint(3, attribute.Int);
                break;
            case OnnxAttributeType.String:
                message.String(4, attribute.String ?? "");
                break;
            case OnnxAttributeType.Tensor when attribute.Tensor is not null:
                message.Message(5, Tensor(attribute.Tensor));
                break;
            case OnnxAttributeType.Floats:
                // A packed repeated float is length-delimited little-endian float32, as raw_data is.
                message.RawFloats(7, attribute.Floats ?? Array.Empty<float>());
                break;
            case OnnxAttributeType.Ints:
                message.PackedInt64(8, attribute.Ints ?? Array.Empty<long>());
                break;
            default:
                throw new InvalidDataException($"Attribute '{attribute.Name}' is of type {attribute.Type}, which the ONNX writer does not write.");
        }
        return message.Varint(20, (long)attribute.Type);
    }

    private static ProtoMessage Tensor(OnnxTensor tensor)
    {
        // Values are held as float32 or int64 whatever the file had (double, int32): written as what they are.
        var type = tensor.Floats is not null ? OnnxDataType.Float : tensor.Int64s is not null ? OnnxDataType.Int64 : tensor.DataType;
        var message = new ProtoMessage().PackedInt64(1, tensor.Dims).Varint(2, type).String(8, tensor.Name);
        if (tensor.Floats is not null)
            message.RawFloats(9, tensor.Floats);
        else if (tensor.Int64s is not null)
            message.PackedInt64(7, tensor.Int64s);
        return message;
    }

    private static ProtoMessage ValueInfo(OnnxValueInfo info)
    {
        var tensorType = new ProtoMessage().Varint(1, info.ElementType);
        if (info.Shape is not null)
        {
            var shape = new ProtoMessage();
            foreach (var dim in info.Shape)
            {
                var dimension = new ProtoMessage();
                if (dim.Value is { } value)
                    dimension.Varint(1, value);
                else if (dim.Parameter is { } parameter)
                    dimension.String(2, parameter);
                shape.Message(1, dimension);
            }
            tensorType.Message(2, shape);
        }
        return new ProtoMessage().String(1, info.Name).Message(2, new ProtoMessage().Message(1, tensorType));
    }
}
