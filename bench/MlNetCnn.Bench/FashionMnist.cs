using System.IO.Compression;

namespace MlNetCnn.Bench;

/// <summary>Sneaker (false) and Ankle boot (true) images of Fashion-MNIST, decoded from the IDX files.</summary>
internal static class FashionMnist
{
    public const string Folder = "/usr/share/datasets/fashion-mnist";
    public const int Side = 28;
    private const int Sneaker = 7;
    private const int AnkleBoot = 9;
    private const int ImagesMagic = 2051;
    private const int LabelsMagic = 2049;

    /// <summary><paramref name="count"/> images, alternating the two classes: 28×28 grey bytes and a label each.</summary>
    public static List<(byte[] Pixels, bool Label)> SneakersAndBoots(int count)
    {
        var labels = ReadIdx(Path.Combine(Folder, "train-labels-idx1-ubyte.gz"), LabelsMagic, out _);
        var images = ReadIdx(Path.Combine(Folder, "train-images-idx3-ubyte.gz"), ImagesMagic, out var imageSize);
        var sneakers = new Queue<int>(Enumerable.Range(0, labels.Length).Where(i => labels[i] == Sneaker));
        var boots = new Queue<int>(Enumerable.Range(0, labels.Length).Where(i => labels[i] == AnkleBoot));
        var result = new List<(byte[], bool)>(count);
        for (var i = 0; i < count; i++)
        {
            var boot = i % 2 == 1;
            var index = (boot ? boots : sneakers).Dequeue();
            result.Add((images.AsSpan(index * imageSize, imageSize).ToArray(), boot));
        }
        return result;
    }

    /// <summary>
    /// Every image of classes <paramref name="negative"/> (label false) and <paramref name="positive"/> (true) in the
    /// training split or, with <paramref name="test"/>, in t10k, in file order: 28×28 grey bytes and a label each.
    /// </summary>
    public static List<(byte[] Pixels, bool Label)> Pair(int negative, int positive, bool test)
    {
        var split = test ? "t10k" : "train";
        var labels = ReadIdx(Path.Combine(Folder, $"{split}-labels-idx1-ubyte.gz"), LabelsMagic, out _);
        var images = ReadIdx(Path.Combine(Folder, $"{split}-images-idx3-ubyte.gz"), ImagesMagic, out var imageSize);
        return Enumerable.Range(0, labels.Length).Where(i => labels[i] == negative || labels[i] == positive)
            .Select(i => (images.AsSpan(i * imageSize, imageSize).ToArray(), labels[i] == positive)).ToList();
    }

    private static byte[] ReadIdx(string path, int magic, out int itemSize)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"Fashion-MNIST is expected at {Folder}; {path} is missing.", path);
        using var stream = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var reader = new BinaryReader(stream);
        int BigEndian() => System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(reader.ReadInt32());
        var found = BigEndian();
        if (found != magic)
            throw new InvalidDataException($"{path} starts with {found}; an IDX file of this kind starts with {magic}.");
        var count = BigEndian();
        itemSize = 1;
        for (var d = 0; d < (magic & 0xFF) - 1; d++)
            itemSize *= BigEndian();
        return reader.ReadBytes(count * itemSize);
    }
}
