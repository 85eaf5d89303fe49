using System.Buffers.Binary;
using SkiaSharp;

namespace MlNetCnn.Tests.Support;

/// <summary>
/// Writes the pictures a phone or a web page gives: JPEGs with an EXIF orientation, PNGs with transparency, grey
/// images. Each is made from an upright RGBA original so that a test can compare what the network sees with it.
/// </summary>
public static class PhotoFiles
{
    /// <summary>
    /// A 48×32 picture no turn or mirror maps onto itself: four coloured quadrants (red, green / blue, yellow, top to
    /// bottom) with a white bar along the top edge's left half.
    /// </summary>
    public static SKBitmap Upright(int width = 48, int height = 32)
    {
        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
            {
                var colour = (x < width / 2, y < height / 2) switch
                {
                    (true, true) => new SKColor(220, 30, 30),
                    (false, true) => new SKColor(30, 200, 40),
                    (true, false) => new SKColor(30, 40, 210),
                    _ => new SKColor(230, 220, 30),
                };
                if (y < height / 8 && x < width / 2)
                    colour = SKColors.White;
                bitmap.SetPixel(x, y, colour);
            }
        return bitmap;
    }

    /// <summary>
    /// Writes <paramref name="upright"/> as a JPEG whose pixels are stored as a camera held in the way EXIF
    /// orientation <paramref name="orientation"/> (1–8) says, with that tag in an APP1 segment: a viewer that applies
    /// the tag shows <paramref name="upright"/>.
    /// </summary>
    public static void WriteJpegWithOrientation(string path, SKBitmap upright, int orientation, int quality = 95)
    {
        using var stored = StoredFor(upright, orientation);
        using var data = stored.Encode(SKEncodedImageFormat.Jpeg, quality);
        File.WriteAllBytes(path, WithOrientation(data.ToArray(), orientation));
    }

    /// <summary>
    /// The stored pixels for <paramref name="orientation"/>, written from the TIFF 6.0 definitions of tag 274 (where
    /// the stored 0th row and 0th column lie in the upright picture), independently of the library's matrices.
    /// </summary>
    public static SKBitmap StoredFor(SKBitmap upright, int orientation)
    {
        int w = upright.Width, h = upright.Height;
        var turned = orientation >= 5;
        var stored = new SKBitmap(new SKImageInfo(turned ? h : w, turned ? w : h, SKColorType.Rgba8888, SKAlphaType.Premul));
        for (var y = 0; y < stored.Height; y++)
            for (var x = 0; x < stored.Width; x++)
            {
                // (ux, uy): where stored pixel (x, y) appears upright.
                var (ux, uy) = orientation switch
                {
                    1 => (x, y),
                    2 => (w - 1 - x, y),              // 0th row top, 0th column right
                    3 => (w - 1 - x, h - 1 - y),      // 0th row bottom, 0th column right
                    4 => (x, h - 1 - y),              // 0th row bottom, 0th column left
                    5 => (y, x),                      // 0th row left, 0th column top
                    6 => (w - 1 - y, x),              // 0th row right, 0th column top
                    7 => (w - 1 - y, h - 1 - x),      // 0th row right, 0th column bottom
                    8 => (y, h - 1 - x),              // 0th row left, 0th column bottom
                    _ => throw new ArgumentOutOfRangeException(nameof(orientation)),
                };
                stored.SetPixel(x, y, upright.GetPixel(ux, uy));
            }
        return stored;
    }

    /// <summary><paramref name="jpeg"/> with an EXIF APP1 segment holding only the orientation tag, right after SOI.</summary>
    public static byte[] WithOrientation(byte[] jpeg, int orientation)
    {
        if (jpeg[0] != 0xFF || jpeg[1] != 0xD8)
            throw new ArgumentException("Not a JPEG.", nameof(jpeg));
        var tiff = new byte[8 + 2 + 12 + 4];
        "MM"u8.CopyTo(tiff);
        BinaryPrimitives.WriteUInt16BigEndian(tiff.AsSpan(2), 42);
        BinaryPrimitives.WriteUInt32BigEndian(tiff.AsSpan(4), 8);       // IFD0 right after the header
        BinaryPrimitives.WriteUInt16BigEndian(tiff.AsSpan(8), 1);       // one entry
        BinaryPrimitives.WriteUInt16BigEndian(tiff.AsSpan(10), 0x0112); // Orientation
        BinaryPrimitives.WriteUInt16BigEndian(tiff.AsSpan(12), 3);      // SHORT
        BinaryPrimitives.WriteUInt32BigEndian(tiff.AsSpan(14), 1);      // one value
        BinaryPrimitives.WriteUInt16BigEndian(tiff.AsSpan(18), (ushort)orientation);
        // next-IFD offset 0: the last 4 bytes stay zero.
        var payload = "Exif\0\0"u8.ToArray().Concat(tiff).ToArray();
        var segment = new byte[4 + payload.Length];
        segment[0] = 0xFF;
        segment[1] = 0xE1;
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(2), (ushort)(payload.Length + 2));
        payload.CopyTo(segment, 4);
        return jpeg[..2].Concat(segment).Concat(jpeg[2..]).ToArray();
    }

    /// <summary>
    /// A PNG with transparency: a fully transparent <paramref name="width"/>×<paramref name="height"/> canvas (its
    /// colour bytes black) with an opaque mid-grey square in the middle half.
    /// </summary>
    public static void WriteTransparentPng(string path, int width = 32, int height = 32)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        bitmap.Erase(SKColors.Transparent);
        for (var y = height / 4; y < 3 * height / 4; y++)
            for (var x = width / 4; x < 3 * width / 4; x++)
                bitmap.SetPixel(x, y, new SKColor(128, 128, 128));
        Write(path, bitmap, SKEncodedImageFormat.Png);
    }

    /// <summary>Writes <paramref name="bitmap"/> encoded as <paramref name="format"/>.</summary>
    public static void Write(string path, SKBitmap bitmap, SKEncodedImageFormat format, int quality = 95)
    {
        using var data = bitmap.Encode(format, quality) ?? throw new InvalidOperationException($"SkiaSharp cannot encode {format}.");
        File.WriteAllBytes(path, data.ToArray());
    }

    /// <summary>An 8-bit grey copy of <paramref name="bitmap"/> (SkiaSharp encodes it as a grey PNG).</summary>
    public static SKBitmap Grey(SKBitmap bitmap)
    {
        var grey = new SKBitmap(new SKImageInfo(bitmap.Width, bitmap.Height, SKColorType.Gray8, SKAlphaType.Opaque));
        using var canvas = new SKCanvas(grey);
        canvas.DrawBitmap(bitmap, 0, 0);
        return grey;
    }
}
