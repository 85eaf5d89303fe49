using System.Buffers.Binary;
using System.IO.Compression;

namespace MlNetCnn.Cli.Data;

/// <summary>
/// An IDX file of unsigned bytes, as MNIST and Fashion-MNIST ship them (plain or gzip-compressed): a magic number
/// <c>00 00 08 D</c> (D dimensions), D big-endian 32-bit sizes, then the values in row-major order.
/// </summary>
internal sealed class IdxFile
{
    private const byte UnsignedByteType = 0x08;
    private const byte GzipFirstByte = 0x1f;
    private const byte GzipSecondByte = 0x8b;
    // Largest file this reader accepts, so a damaged header cannot ask for an absurd allocation.
    private const long MaxValues = int.MaxValue;

    private IdxFile(int[] dimensions, byte[] values)
    {
        Dimensions = dimensions;
        Values = values;
    }

    /// <summary>The sizes from the header; the first is the item count.</summary>
    public IReadOnlyList<int> Dimensions { get; }

    /// <summary>All values, row-major.</summary>
    public byte[] Values { get; }

    /// <summary>Items in the file (the first dimension).</summary>
    public int Count => Dimensions[0];

    /// <summary>Reads an image file: three dimensions (count, rows, columns).</summary>
    public static IdxFile ReadImages(string path) => Read(path, 3, "images");

    /// <summary>Reads a label file: one dimension (count).</summary>
    public static IdxFile ReadLabels(string path) => Read(path, 1, "labels");

    private static IdxFile Read(string path, int expectedDimensions, string role)
    {
        if (!File.Exists(path))
            throw new CliException($"The {role} file '{path}' does not exist.");
        using var file = File.OpenRead(path);
        Span<byte> start = stackalloc byte[2];
        var compressed = file.Read(start) == 2 && start[0] == GzipFirstByte && start[1] == GzipSecondByte;
        file.Position = 0;
        using var stream = compressed ? new GZipStream(file, CompressionMode.Decompress) : (Stream)file;
        try
        {
            return Read(stream, path, expectedDimensions, role);
        }
        catch (InvalidDataException e)
        {
            throw new CliException($"The {role} file '{path}' is damaged: {e.Message}", e);
        }
    }

    private static IdxFile Read(Stream stream, string path, int expectedDimensions, string role)
    {
        var magic = new byte[4];
        ReadExactly(stream, magic, path, role, "its 4-byte magic number");
        var expectedMagic = $"00 00 08 {expectedDimensions:X2}";
        if (magic[0] != 0 || magic[1] != 0 || magic[2] != UnsignedByteType || magic[3] != expectedDimensions)
            throw new CliException(
                $"The {role} file '{path}' starts with {Convert.ToHexString(magic).Insert(6, " ").Insert(4, " ").Insert(2, " ")}, " +
                $"not the IDX magic number {expectedMagic} (unsigned bytes, {expectedDimensions} dimension{(expectedDimensions == 1 ? "" : "s")}). " +
                $"Pass an MNIST-format {role} file{(role == "images" ? " (…-images-idx3-ubyte[.gz])" : " (…-labels-idx1-ubyte[.gz])")}.");

        var header = new byte[4 * expectedDimensions];
        ReadExactly(stream, header, path, role, "its header");
        var dimensions = new int[expectedDimensions];
        long total = 1;
        for (var i = 0; i < expectedDimensions; i++)
        {
            dimensions[i] = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4 * i));
            if (dimensions[i] < 0 || (i > 0 && dimensions[i] == 0))
                throw new CliException($"The {role} file '{path}' has an impossible size {dimensions[i]} in dimension {i + 1} of its header.");
            total *= dimensions[i];
            if (total > MaxValues)
                throw new CliException($"The {role} file '{path}' claims {string.Join("×", dimensions.Take(i + 1))} values, more than this reader accepts.");
        }

        var values = new byte[total];
        ReadExactly(stream, values, path, role, $"{string.Join("×", dimensions)} values as its header says");
        if (stream.ReadByte() != -1)
            throw new CliException($"The {role} file '{path}' holds more bytes than its header's {string.Join("×", dimensions)} values.");
        return new IdxFile(dimensions, values);
    }

    private static void ReadExactly(Stream stream, byte[] buffer, string path, string role, string what)
    {
        var read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        if (read < buffer.Length)
            throw new CliException($"The {role} file '{path}' ends after {read} of the {buffer.Length} bytes of {what}; it is truncated.");
    }
}
