using System.Runtime.InteropServices;
using System.Text;

namespace MlNetCnn.Network;

/// <summary>One named float32 tensor of a network's state: a parameter or a batch-norm statistic.</summary>
/// <param name="Name">The state-dictionary name, e.g. <c>features.block1.conv.weight</c>.</param>
/// <param name="Shape">The tensor's dimensions.</param>
/// <param name="Values">The values in row-major order.</param>
internal sealed record NamedTensor(string Name, long[] Shape, float[] Values);

/// <summary>
/// A trained network's state held in managed memory: what the zip stores, what every scoring engine is built from,
/// and readable without loading libtorch.
/// </summary>
/// <remarks>
/// The bytes are TorchSharp's own state-dictionary format (<c>Module.save</c>), read and written here without
/// TorchSharp: a LEB128 entry count, then per entry a length-prefixed UTF-8 name, the element type, the rank, each
/// dimension (all LEB128) and the raw little-endian values.
/// </remarks>
internal sealed class NetworkWeights
{
    // TorchSharp's ScalarType.Float32.
    private const long Float32 = 6;
    private const int MaxRank = 8;

    private readonly Dictionary<string, NamedTensor> byName;

    private NetworkWeights(IReadOnlyList<NamedTensor> tensors)
    {
        Tensors = tensors;
        byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>The tensors in the order they are stored.</summary>
    public IReadOnlyList<NamedTensor> Tensors { get; }

    /// <summary>The tensor called <paramref name="name"/>; throws naming it when there is none.</summary>
    public NamedTensor this[string name] => byName.TryGetValue(name, out var tensor) ? tensor
        : throw new KeyNotFoundException($"The network's weights have no tensor '{name}'.");

    /// <summary>The total number of values.</summary>
    public long ValueCount => Tensors.Sum(t => (long)t.Values.Length);

    /// <summary>The state of <paramref name="network"/>, copied out of libtorch.</summary>
    public static NetworkWeights Of(TorchSharp.torch.nn.Module network)
    {
        using var buffer = new MemoryStream();
        network.save(buffer);
        return Read(buffer.ToArray());
    }

    /// <summary>Reads TorchSharp's format; throws <see cref="InvalidDataException"/> naming what is wrong.</summary>
    public static NetworkWeights Read(ReadOnlySpan<byte> bytes)
    {
        var reader = new SpanReader(bytes);
        var count = reader.ReadLength("the number of tensors");
        var tensors = new List<NamedTensor>(Math.Min(count, 1024));
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var name = reader.ReadName();
            if (!names.Add(name))
                throw new InvalidDataException($"Tensor '{name}' appears twice in the weights.");
            var type = reader.ReadLeb128();
            if (type != Float32)
                throw new InvalidDataException($"Tensor '{name}' has element type {type}; MlNetCnn weights are float32 ({Float32}).");
            var rank = (int)reader.ReadLeb128();
            if (rank < 0 || rank > MaxRank)
                throw new InvalidDataException($"Tensor '{name}' has rank {rank}; at most {MaxRank} is expected.");
            var shape = new long[rank];
            long elements = 1;
            for (var d = 0; d < rank; d++)
            {
                shape[d] = reader.ReadLeb128();
                elements = checked(elements * shape[d]);
            }
            if (elements > reader.Remaining / sizeof(float))
                throw new InvalidDataException($"Tensor '{name}' of shape [{string.Join(", ", shape)}] needs {elements:N0} values; the weights end before that.");
            var values = new float[elements];
            reader.ReadInto(MemoryMarshal.AsBytes(values.AsSpan()));
            tensors.Add(new NamedTensor(name, shape, values));
        }
        if (reader.Remaining != 0)
            throw new InvalidDataException($"The weights hold {reader.Remaining:N0} bytes after their last tensor.");
        return new NetworkWeights(tensors);
    }

    /// <summary>Writes TorchSharp's format, byte for byte what <c>Module.save</c> writes for the same state.</summary>
    public byte[] ToBytes()
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            WriteLeb128(writer, Tensors.Count);
            foreach (var tensor in Tensors)
            {
                writer.Write(tensor.Name);
                WriteLeb128(writer, Float32);
                WriteLeb128(writer, tensor.Shape.Length);
                foreach (var dimension in tensor.Shape)
                    WriteLeb128(writer, dimension);
                writer.Write(MemoryMarshal.AsBytes(tensor.Values.AsSpan()));
            }
        }
        return stream.ToArray();
    }

    /// <summary>
    /// Throws <see cref="InvalidDataException"/> unless these are exactly the tensors a network of
    /// <paramref name="shape"/> on <paramref name="geometry"/> has, with their shapes.
    /// </summary>
    public void CheckFits(NetworkShape shape, ImageGeometry geometry)
    {
        var expected = NetworkLayout.StateShapes(shape, geometry);
        foreach (var (name, dims) in expected)
        {
            if (!byName.TryGetValue(name, out var tensor))
                throw new InvalidDataException($"The weights have no tensor '{name}', which a network of {shape} on {geometry} needs.");
            if (!tensor.Shape.SequenceEqual(dims))
                throw new InvalidDataException($"Tensor '{name}' has shape [{string.Join(", ", tensor.Shape)}]; a network of {shape} on {geometry} needs [{string.Join(", ", dims)}].");
        }
        if (Tensors.FirstOrDefault(t => !expected.ContainsKey(t.Name)) is { } extra)
            throw new InvalidDataException($"The weights hold a tensor '{extra.Name}' that a network of {shape} does not have.");
    }

    private static void WriteLeb128(BinaryWriter writer, long value)
    {
        var v = (ulong)value;
        do
        {
            var b = (byte)(v & 0x7F);
            v >>= 7;
            writer.Write(v == 0 ? b : (byte)(b | 0x80));
        }
        while (v != 0);
    }

    private ref struct SpanReader
    {
        private readonly ReadOnlySpan<byte> bytes;
        private int offset;

        public SpanReader(ReadOnlySpan<byte> bytes)
        {
            this.bytes = bytes;
            offset = 0;
        }

        public readonly int Remaining => bytes.Length - offset;

        public long ReadLeb128()
        {
            ulong value = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                if (offset >= bytes.Length)
                    throw new InvalidDataException("The weights end inside a number.");
                var b = bytes[offset++];
                value |= (ulong)(b & 0x7F) << shift;
                if ((b & 0x80) == 0)
                    return value > long.MaxValue ? throw new InvalidDataException($"The weights hold a number too large to be a size ({value}).") : (long)value;
            }
            throw new InvalidDataException("The weights hold a number longer than 64 bits.");
        }

        public int ReadLength(string what)
        {
            var value = ReadLeb128();
            return value > Remaining ? throw new InvalidDataException($"{what} ({value}) is more than the weights can hold.") : (int)value;
        }

        public string ReadName()
        {
            var length = ReadLength("A tensor name's length");
            var name = Encoding.UTF8.GetString(bytes.Slice(offset, length));
            offset += length;
            return name;
        }

        public void ReadInto(Span<byte> destination)
        {
            bytes.Slice(offset, destination.Length).CopyTo(destination);
            offset += destination.Length;
        }
    }
}
