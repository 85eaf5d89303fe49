using System.Buffers.Binary;
using System.IO.Compression;
using SkiaSharp;

namespace MlNetCnn.Tests.Cli;

public sealed class ImportIdxCommandTests : IDisposable
{
    // Three rows by four columns, so that a transposed image would not pass.
    private const int Rows = 3;
    private const int Columns = 4;
    private static readonly byte[] Labels = [0, 1, 2, 1, 0, 1, 0, 2, 1, 0];

    private readonly CliTempFolder temp = new();

    public void Dispose() => temp.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Import_round_trips_every_pixel_and_label_of_the_two_classes(bool gzip)
    {
        var (images, labels) = WriteIdx(gzip);
        var output = temp["out"];

        var run = CliRun.Of("import-idx", "--images", images, "--labels", labels, "--negative", "0", "--positive", "1", "--out", output).Succeeded();

        Assert.Contains("Wrote 8 images", run.Out);
        var lines = File.ReadAllLines(Path.Combine(output, "labels.csv"));
        Assert.Equal("ImagePath,Label", lines[0]);
        var expected = Enumerable.Range(0, Labels.Length).Where(i => Labels[i] is 0 or 1).ToArray();
        Assert.Equal(expected.Length, lines.Length - 1);
        for (var k = 0; k < expected.Length; k++)
        {
            var index = expected[k];
            var (path, label) = (lines[k + 1].Split(',')[0], lines[k + 1].Split(',')[1]);
            Assert.Equal(Labels[index] == 1 ? "true" : "false", label);
            using var bitmap = SKBitmap.Decode(Path.Combine(output, path));
            Assert.Equal((Columns, Rows), (bitmap.Width, bitmap.Height));
            for (var y = 0; y < Rows; y++)
                for (var x = 0; x < Columns; x++)
                    Assert.Equal(Pixel(index, y, x), bitmap.GetPixel(x, y).Red);
        }
    }

    [Fact]
    public void Skip_and_take_count_each_class_separately_in_file_order()
    {
        var (images, labels) = WriteIdx(gzip: false);
        var output = temp["out"];

        CliRun.Of("import-idx", "--images", images, "--labels", labels, "--negative", "0", "--positive", "1", "--skip", "1", "--take", "2", "--out", output).Succeeded();

        // Class 0 sits at 0, 4, 6, 9 and class 1 at 1, 3, 5, 8: skip the first of each, keep the next two.
        var listed = File.ReadAllLines(Path.Combine(output, "labels.csv")).Skip(1).Select(l => l.Split(',')[0]).ToArray();
        Assert.Equal(["1/00003.png", "0/00004.png", "1/00005.png", "0/00006.png"], listed);
    }

    [Fact]
    public void Import_rejects_a_file_with_the_wrong_magic_number()
    {
        var (images, _) = WriteIdx(gzip: false);
        CliRun.Of("import-idx", "--images", images, "--labels", images, "--negative", "0", "--positive", "1", "--out", temp["out"])
            .FailedWith("not the IDX magic number 00 00 08 01");
        Assert.False(Directory.Exists(temp["out"]));
    }

    [Fact]
    public void Import_rejects_a_truncated_images_file()
    {
        var (images, labels) = WriteIdx(gzip: false);
        var bytes = File.ReadAllBytes(images);
        File.WriteAllBytes(images, bytes[..^5]);
        CliRun.Of("import-idx", "--images", images, "--labels", labels, "--negative", "0", "--positive", "1", "--out", temp["out"])
            .FailedWith("it is truncated");
    }

    [Fact]
    public void Import_rejects_image_and_label_files_of_different_lengths()
    {
        var (images, _) = WriteIdx(gzip: false);
        var labels = temp["short-labels"];
        File.WriteAllBytes(labels, Idx([0, 0, 8, 1], [3], [0, 1, 0]));
        CliRun.Of("import-idx", "--images", images, "--labels", labels, "--negative", "0", "--positive", "1", "--out", temp["out"])
            .FailedWith("holds 10 images but");
    }

    [Fact]
    public void Import_never_writes_into_a_folder_that_has_files()
    {
        var (images, labels) = WriteIdx(gzip: false);
        var output = temp["out"];
        Directory.CreateDirectory(output);
        File.WriteAllText(Path.Combine(output, "labels.csv"), "keep me");
        CliRun.Of("import-idx", "--images", images, "--labels", labels, "--negative", "0", "--positive", "1", "--out", output)
            .FailedWith("exists and is not empty");
        Assert.Equal("keep me", File.ReadAllText(Path.Combine(output, "labels.csv")));
    }

    private static byte Pixel(int image, int y, int x) => (byte)(image * 25 + y * Columns + x);

    private (string Images, string Labels) WriteIdx(bool gzip)
    {
        var pixels = new byte[Labels.Length * Rows * Columns];
        for (var i = 0; i < Labels.Length; i++)
            for (var y = 0; y < Rows; y++)
                for (var x = 0; x < Columns; x++)
                    pixels[(i * Rows + y) * Columns + x] = Pixel(i, y, x);
        var suffix = gzip ? ".gz" : "";
        var images = temp["images-idx3-ubyte" + suffix];
        var labels = temp["labels-idx1-ubyte" + suffix];
        Save(images, Idx([0, 0, 8, 3], [Labels.Length, Rows, Columns], pixels), gzip);
        Save(labels, Idx([0, 0, 8, 1], [Labels.Length], Labels), gzip);
        return (images, labels);
    }

    private static byte[] Idx(byte[] magic, int[] dimensions, byte[] values)
    {
        var bytes = new byte[4 + 4 * dimensions.Length + values.Length];
        magic.CopyTo(bytes, 0);
        for (var d = 0; d < dimensions.Length; d++)
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * d), dimensions[d]);
        values.CopyTo(bytes, 4 + 4 * dimensions.Length);
        return bytes;
    }

    private static void Save(string path, byte[] bytes, bool gzip)
    {
        using var file = File.Create(path);
        if (!gzip)
        {
            file.Write(bytes);
            return;
        }
        using var compressed = new GZipStream(file, CompressionLevel.Optimal);
        compressed.Write(bytes);
    }
}
