using System.Runtime.InteropServices;
using System.Text;

namespace MlNetCnn.Onnx;

/// <summary>
/// A protocol-buffers message under construction: fields in the order added, sized once and written straight to a
/// stream, so that weight arrays are copied once however deep they are nested.
/// </summary>
/// <remarks>Only what ONNX's messages need: varints, 32-bit floats, length-delimited bytes, strings and messages, packed int64s.</remarks>
internal sealed class ProtoMessage
{
    private const int WireVarint = 0;
    private const int WireLengthDelimited = 2;
    private const int WireFixed32 = 5;

    private readonly List<Field> fields = new();
    private long size = -1;

    /// <summary>An int64, int32, enum or bool field.</summary>
    public ProtoMessage Varint(int number, long value) => Add(new Field(Tag(number, WireVarint), value, null, null, null));

    /// <summary>A float field.</summary>
    public ProtoMessage Float(int number, float value) => Add(new Field(Tag(number, WireFixed32), BitConverter.SingleToInt32Bits(value), null, null, null));

    /// <summary>A string field, UTF-8.</summary>
    public ProtoMessage String(int number, string value) => Add(new Field(Tag(number, WireLengthDelimited), 0, Encoding.UTF8.GetBytes(value), null, null));

    /// <summary>A bytes field holding <paramref name="values"/> as little-endian float32 (ONNX's raw_data).</summary>
    public ProtoMessage RawFloats(int number, float[] values) => Add(new Field(Tag(number, WireLengthDelimited), 0, null, values, null));

    /// <summary>A bytes field.</summary>
    public ProtoMessage Bytes(int number, byte[] value) => Add(new Field(Tag(number, WireLengthDelimited), 0, value, null, null));

    /// <summary>A packed repeated int64 field.</summary>
    public ProtoMessage PackedInt64(int number, IEnumerable<long> values)
    {
        using var buffer = new MemoryStream();
        foreach (var value in values)
            WriteVarint(buffer, (ulong)value);
        return Bytes(number, buffer.ToArray());
    }

    /// <summary>An embedded message field.</summary>
    public ProtoMessage Message(int number, ProtoMessage value) => Add(new Field(Tag(number, WireLengthDelimited), 0, null, null, value));

    /// <summary>The encoded size in bytes.</summary>
    public long Size
    {
        get
        {
            if (size < 0)
                size = fields.Sum(FieldSize);
            return size;
        }
    }

    /// <summary>Writes the encoded message.</summary>
    public void WriteTo(Stream stream)
    {
        foreach (var field in fields)
        {
            WriteVarint(stream, (ulong)field.Tag);
            switch (field.Tag & 7)
            {
                case WireVarint:
                    WriteVarint(stream, (ulong)field.Value);
                    break;
                case WireFixed32:
                    var bits = (uint)field.Value;
                    for (var shift = 0; shift < 32; shift += 8)
                        stream.WriteByte((byte)(bits >> shift));
                    break;
                default:
                    WriteVarint(stream, (ulong)PayloadSize(field));
                    if (field.Bytes is not null)
                        stream.Write(field.Bytes);
                    else if (field.Floats is not null)
                        stream.Write(MemoryMarshal.AsBytes(field.Floats.AsSpan()));
                    else
                        field.Message!.WriteTo(stream);
                    break;
            }
        }
    }

    /// <summary>The encoded message as a byte array.</summary>
    public byte[] ToArray()
    {
        using var stream = new MemoryStream(checked((int)Size));
        WriteTo(stream);
        return stream.ToArray();
    }

    private ProtoMessage Add(Field field)
    {
        fields.Add(field);
        size = -1;
        return this;
    }

    private static long FieldSize(Field field)
    {
        var tag = VarintSize((ulong)field.Tag);
        return (field.Tag & 7) switch
        {
            WireVarint => tag + VarintSize((ulong)field.Value),
            WireFixed32 => tag + 4,
            _ => tag + VarintSize((ulong)PayloadSize(field)) + PayloadSize(field),
        };
    }

    private static long PayloadSize(Field field) =>
        field.Bytes?.Length ?? (field.Floats is not null ? (long)field.Floats.Length * sizeof(float) : field.Message!.Size);

    private static int Tag(int number, int wireType) => (number << 3) | wireType;

    private static int VarintSize(ulong value)
    {
        var n = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            n++;
        }
        return n;
    }

    private static void WriteVarint(Stream stream, ulong value)
    {
        while (value >= 0x80)
        {
            stream.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        stream.WriteByte((byte)value);
    }

    private sealed record Field(int Tag, long Value, byte[]? Bytes, float[]? Floats, ProtoMessage? Message);
}
