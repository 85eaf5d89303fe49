using System.IO.Compression;
using SkiaSharp;

namespace MlNetCnn.Tests.Cli;

/// <summary>
/// Writes PNG variants that are valid but unusual (16-bit grey, palette, very large) and damaged files (truncated,
/// empty, text), each from an 8-bit grey original so that a test can compare what the model sees.
/// </summary>
public static class OddPng
{
    /// <summary>The grey values of an 8-bit PNG, row by row.</summary>
    public static byte[,] ReadGrey(string path)
    {
        using var bitmap = SKBitmap.Decode(path);
        var grey = new byte[bitmap.Height, bitmap.Width];
        for (var y = 0; y < bitmap.Height; y++)
            for (var x = 0; x < bitmap.Width; x++)
                grey[y, x] = bitmap.GetPixel(x, y).Red;
        return grey;
    }

    /// <summary>The same picture as a 16-bit greyscale PNG (colour type 0, depth 16; each value v stored as v × 257).</summary>
    public static void WriteGrey16(string path, byte[,] grey) =>
        Write(path, grey.GetLength(1), grey.GetLength(0), bitDepth: 16, colourType: 0, palette: null,
            (y, row) =>
            {
                for (var x = 0; x < grey.GetLength(1); x++)
                    row[2 * x] = row[2 * x + 1] = grey[y, x];
            }, bytesPerRow: 2 * grey.GetLength(1));

    /// <summary>The same picture as a palette PNG (colour type 3, depth 8) whose 256 entries are the greys 0–255.</summary>
    public static void WritePalette(string path, byte[,] grey)
    {
        var palette = new byte[256 * 3];
        for (var i = 0; i < 256; i++)
            palette[3 * i] = palette[3 * i + 1] = palette[3 * i + 2] = (byte)i;
        Write(path, grey.GetLength(1), grey.GetLength(0), bitDepth: 8, colourType: 3, palette,
            (y, row) =>
            {
                for (var x = 0; x < grey.GetLength(1); x++)
                    row[x] = grey[y, x];
            }, bytesPerRow: grey.GetLength(1));
    }

    /// <summary>The picture blown up <paramref name="factor"/> times (nearest neighbour) as an 8-bit grey PNG.</summary>
    public static void WriteEnlarged(string path, byte[,] grey, int factor)
    {
        var (height, width) = (grey.GetLength(0) * factor, grey.GetLength(1) * factor);
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque));
        var pixels = new byte[width * height];
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
                pixels[y * width + x] = grey[y / factor, x / factor];
        System.Runtime.InteropServices.Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        using var file = File.Create(path);
        data.SaveTo(file);
    }

    /// <summary>The kinds of damage <see cref="Damage"/> does: emptied, cut short, or replaced by text.</summary>
    public static readonly IReadOnlyList<string> Damages = ["zero-byte", "truncated", "text"];

    /// <summary>Damages the PNG at <paramref name="path"/> in place as <paramref name="damage"/> (one of <see cref="Damages"/>) says; returns the path.</summary>
    public static string Damage(string path, string damage)
    {
        switch (damage)
        {
            case "zero-byte":
                File.WriteAllBytes(path, []);
                break;
            case "truncated":
                // Enlarged first, so that the header and the start of the pixel data survive the cut.
                WriteEnlarged(path, ReadGrey(path), factor: 8);
                Truncate(path, 0.6);
                break;
            case "text":
                File.WriteAllText(path, "ImagePath,Label\nthis is not an image\n");
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(damage), damage, "unknown damage");
        }
        return path;
    }

    /// <summary>Cuts <paramref name="path"/> to <paramref name="fraction"/> of its length: header intact, pixel data ending early.</summary>
    public static void Truncate(string path, double fraction)
    {
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(int)(bytes.Length * fraction)]);
    }

    private static void Write(string path, int width, int height, byte bitDepth, byte colourType, byte[]? palette, Action<int, byte[]> fillRow, int bytesPerRow)
    {
        using var file = File.Create(path);
        file.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        WriteBigEndian(header, 0, width);
        WriteBigEndian(header, 4, height);
        header[8] = bitDepth;
        header[9] = colourType;
        Chunk(file, "IHDR", header);
        if (palette is not null)
            Chunk(file, "PLTE", palette);
        using var raw = new MemoryStream();
        var row = new byte[bytesPerRow];
        for (var y = 0; y < height; y++)
        {
            fillRow(y, row);
            raw.WriteByte(0); // filter: none
            raw.Write(row);
        }
        using var packed = new MemoryStream();
        using (var zlib = new ZLibStream(packed, CompressionLevel.Optimal, leaveOpen: true))
            zlib.Write(raw.ToArray());
        Chunk(file, "IDAT", packed.ToArray());
        Chunk(file, "IEND", []);
    }

    private static void Chunk(Stream file, string type, byte[] data)
    {
        var length = new byte[4];
        WriteBigEndian(length, 0, data.Length);
        file.Write(length);
        var body = new byte[4 + data.Length];
        System.Text.Encoding.ASCII.GetBytes(type, body);
        data.CopyTo(body, 4);
        file.Write(body);
        var crc = new byte[4];
        WriteBigEndian(crc, 0, (int)Crc32(body));
        file.Write(crc);
    }

    private static void WriteBigEndian(byte[] buffer, int offset, int value) =>
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(buffer.AsSpan(offset), value);

    private static uint Crc32(byte[] bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
                crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }
}
