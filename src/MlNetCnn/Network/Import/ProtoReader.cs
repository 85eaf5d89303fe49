using System.Runtime.InteropServices;
using System.Text;

namespace MlNetCnn.Network.Import;

/// <summary>
/// Reads one protocol-buffers message field by field from a span: the counterpart of <see cref="Onnx.ProtoMessage"/>.
/// Every malformed byte is an <see cref="InvalidDataException"/> that says what was read where.
/// </summary>
/// <remarks>Wire types 0 (varint), 1 (fixed64), 2 (length-delimited) and 5 (fixed32); groups (3, 4) are not used by ONNX.</remarks>
internal ref struct ProtoReader
{
    public const int WireVarint = 0;
    public const int WireFixed64 = 1;
    public const int WireLengthDelimited = 2;
    public const int WireFixed32 = 5;

    private readonly ReadOnlySpan<byte> bytes;
    private readonly long start;
    private readonly string message;
    private int offset;

    /// <param name="bytes">The message's encoded fields.</param>
    /// <param name="start">Where <paramref name="bytes"/> begins in the file, for messages.</param>
    /// <param name="message">The message's type, for messages (e.g. "NodeProto").</param>
    public ProtoReader(ReadOnlySpan<byte> bytes, long start, string message)
    {
        this.bytes = bytes;
        this.start = start;
        this.message = message;
        offset = 0;
    }

    /// <summary>The field number just read.</summary>
    public int Field { get; private set; }

    /// <summary>The wire type of the field just read.</summary>
    public int Wire { get; private set; }

    /// <summary>Reads the next field's tag; false at the end of the message.</summary>
    public bool Next()
    {
        if (offset >= bytes.Length)
            return false;
        var at = offset;
        var tag = Varint();
        Field = (int)(tag >> 3);
        Wire = (int)(tag & 7);
        if (Field == 0 || tag >> 3 > int.MaxValue)
            throw Bad($"a field number of {tag >> 3}", at);
        if (Wire is not (WireVarint or WireFixed64 or WireLengthDelimited or WireFixed32))
            throw Bad($"wire type {Wire} (field {Field})", at);
        return true;
    }

    /// <summary>A varint field's value.</summary>
    public ulong Varint()
    {
        ulong value = 0;
        var at = offset;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (offset >= bytes.Length)
                throw Bad("a number that runs past the end", at);
            var b = bytes[offset++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
                return value;
        }
        throw Bad("a number longer than 64 bits", at);
    }

    /// <summary>A varint field as a signed 64-bit value (int64, int32 and enum fields).</summary>
    public long Int64()
    {
        Expect(WireVarint);
        return (long)Varint();
    }

    /// <summary>A fixed32 field as a float.</summary>
    public float Float()
    {
        Expect(WireFixed32);
        return BitConverter.Int32BitsToSingle((int)Fixed(4));
    }

    /// <summary>A length-delimited field's bytes; <paramref name="at"/> is where they begin in the file.</summary>
    public ReadOnlySpan<byte> Bytes(out long at)
    {
        Expect(WireLengthDelimited);
        var length = Varint();
        if (length > (ulong)(bytes.Length - offset))
            throw Bad($"field {Field} of {length:N0} bytes, past the end of the {message}", offset);
        at = start + offset;
        var slice = bytes.Slice(offset, (int)length);
        offset += (int)length;
        return slice;
    }

    /// <summary>A string field (UTF-8).</summary>
    public string String() => Encoding.UTF8.GetString(Bytes(out _));

    /// <summary>An embedded message field.</summary>
    public ProtoReader Message(string type)
    {
        var slice = Bytes(out var at);
        return new ProtoReader(slice, at, type);
    }

    /// <summary>Appends a repeated int64 field's values, packed or not.</summary>
    public void Int64s(List<long> values)
    {
        if (Wire == WireVarint)
        {
            values.Add((long)Varint());
            return;
        }
        var packed = new ProtoReader(Bytes(out var at), at, message);
        while (packed.offset < packed.bytes.Length)
            values.Add((long)packed.Varint());
    }

    /// <summary>Appends a repeated float field's values, packed or not.</summary>
    public void Floats(List<float> values)
    {
        if (Wire == WireFixed32)
        {
            values.Add(Float());
            return;
        }
        var packed = Bytes(out var at);
        if (packed.Length % sizeof(float) != 0)
            throw Bad($"packed floats of {packed.Length} bytes, not a multiple of 4", at - start);
        values.AddRange(LittleEndianFloats(packed));
    }

    /// <summary>Appends a repeated double field's values as floats, packed or not.</summary>
    public void Doubles(List<float> values)
    {
        if (Wire == WireFixed64)
        {
            values.Add((float)BitConverter.Int64BitsToDouble((long)Fixed(8)));
            return;
        }
        var packed = Bytes(out var at);
        if (packed.Length % sizeof(double) != 0)
            throw Bad($"packed doubles of {packed.Length} bytes, not a multiple of 8", at - start);
        for (var i = 0; i < packed.Length; i += sizeof(double))
            values.Add((float)BitConverter.Int64BitsToDouble(System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(packed[i..])));
    }

    /// <summary>Skips a field this reader does not use.</summary>
    public void Skip()
    {
        switch (Wire)
        {
            case WireVarint:
                Varint();
                break;
            case WireFixed64:
                Fixed(8);
                break;
            case WireFixed32:
                Fixed(4);
                break;
            default:
                Bytes(out _);
                break;
        }
    }

    /// <summary>Little-endian float32 values, as ONNX's raw_data and packed float_data hold them.</summary>
    public static float[] LittleEndianFloats(ReadOnlySpan<byte> data)
    {
        var values = MemoryMarshal.Cast<byte, float>(data).ToArray();
        if (!BitConverter.IsLittleEndian)
        {
            for (var i = 0; i < values.Length; i++)
                values[i] = BitConverter.Int32BitsToSingle(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(BitConverter.SingleToInt32Bits(values[i])));
        }
        return values;
    }

    private ulong Fixed(int size)
    {
        if (bytes.Length - offset < size)
            throw Bad($"a {size * 8}-bit field that runs past the end", offset);
        ulong value = 0;
        for (var i = 0; i < size; i++)
            value |= (ulong)bytes[offset + i] << (8 * i);
        offset += size;
        return value;
    }

    private void Expect(int wire)
    {
        if (Wire != wire)
            throw Bad($"field {Field} with wire type {Wire} where {wire} belongs", offset);
    }

    private readonly InvalidDataException Bad(string what, long at) =>
        new($"At byte {start + at:N0}, in a {message}: {what}.");
}
