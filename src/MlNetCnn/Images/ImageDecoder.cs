using System.Globalization;
using SkiaSharp;

namespace MlNetCnn.Images;

/// <summary>
/// One image file to the network's pixels, the way a viewer shows it: decoded whole, turned upright by its EXIF
/// orientation, resampled to size by the resize mode (area averaging when shrinking, linear interpolation when
/// enlarging, in premultiplied colour), composited on an opaque background and rounded to whole levels, then written
/// as planar channels of values in [0, 1]. All of it after decoding is managed arithmetic, so the same file gives the same values everywhere.
/// </summary>
internal static class ImageDecoder
{
    // Decode at least this many times the target's pixels per side, so shrinking still has pixels to average.
    private const double Oversampling = 2;
    // ImageColorMode.Auto: a pixel is coloured when two channels differ by more than this many levels; an image is
    // coloured when more than this share of its pixels is.
    private const int ColorLevels = 8;
    private const double ColorShare = 0.01;

    /// <summary>Decodes <paramref name="path"/> into <paramref name="output"/> (C×H×W values, see <see cref="ImageSettings"/>).</summary>
    /// <exception cref="InvalidDataException">The file cannot be opened or decoded whole; the message names it and why.</exception>
    public static void Read(string path, ImageSettings settings, Span<float> output)
    {
        var rgb = Render(path, settings.Width, settings.Height, settings.Resize, settings.Background);
        Extract(rgb, settings.Channels, output);
    }

    /// <summary>Whether the picture at <paramref name="path"/> is in colour (see <see cref="ImageColorMode.Auto"/>), looked at at the target size.</summary>
    public static bool IsColor(string path, ImageSettings settings)
    {
        var rgb = Render(path, settings.Width, settings.Height, ImageResizeMode.Stretch, SKColors.White);
        var coloured = 0;
        for (var i = 0; i < rgb.Length; i += 3)
        {
            float r = rgb[i], g = rgb[i + 1], b = rgb[i + 2];
            if (Math.Abs(r - g) > ColorLevels || Math.Abs(g - b) > ColorLevels || Math.Abs(r - b) > ColorLevels)
                coloured++;
        }
        return coloured > ColorShare * (rgb.Length / 3);
    }

    /// <summary>The picture upright at <paramref name="width"/>×<paramref name="height"/>, opaque: interleaved R, G, B values in [0, 255].</summary>
    public static float[] Render(string path, int width, int height, ImageResizeMode resize, SKColor background)
    {
        var (pixels, w, h) = DecodeUpright(path, width, height, resize);
        return Fit(pixels, w, h, width, height, resize, background);
    }

    /// <summary>
    /// Null when <paramref name="path"/> decodes whole, at full size, as the image step would read it; otherwise what is
    /// wrong with it, naming the file. (SkiaSharp's own SKBitmap.Decode, and so ML.NET's LoadImages, accepts a truncated
    /// PNG and fills the missing rows with zeros; this check, like the image step, refuses anything short of success.)
    /// </summary>
    public static string? Problem(string path)
    {
        try
        {
            using var file = Open(path);
            using var codec = Codec(file, path);
            Decode(codec, path, codec.Info.Size);
            return null;
        }
        catch (InvalidDataException e)
        {
            return e.Message;
        }
    }

    /// <summary>Decodes the file, at a reduced size where the codec can (JPEG) and the target allows, and turns it upright.</summary>
    private static (byte[] Rgba, int Width, int Height) DecodeUpright(string path, int width, int height, ImageResizeMode resize)
    {
        using var file = Open(path);
        using var codec = Codec(file, path);
        var stored = codec.Info.Size;
        var origin = codec.EncodedOrigin;
        var (uprightWidth, uprightHeight) = Turns(origin) ? (stored.Height, stored.Width) : (stored.Width, stored.Height);
        var (scaleX, scaleY) = Scales(resize, width, height, uprightWidth, uprightHeight);
        // A JPEG decodes at 1/8 steps of its size: ask for the smallest that still oversamples the target.
        var size = codec.GetScaledDimensions((float)Math.Min(1, Oversampling * Math.Max(scaleX, scaleY)));
        return Orient(Decode(codec, path, size), size.Width, size.Height, origin);
    }

    private static FileStream Open(string path)
    {
        FileStream file;
        try
        {
            file = File.OpenRead(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new InvalidDataException($"The image '{path}' cannot be opened: {e.Message}", e);
        }
        if (file.Length == 0)
        {
            file.Dispose();
            throw new InvalidDataException($"The image '{path}' is empty (0 bytes). Replace or remove it.");
        }
        return file;
    }

    private static SKCodec Codec(FileStream file, string path)
    {
        var kind = Path.GetExtension(path).TrimStart('.').ToUpperInvariant();
        var codec = SKCodec.Create(file, out var opened);
        if (codec is null || codec.Info.Width < 1 || codec.Info.Height < 1)
        {
            codec?.Dispose();
            throw new InvalidDataException($"The image '{path}' cannot be read: it is not a valid {kind} image or any format SkiaSharp decodes ({opened}). Replace or remove it.");
        }
        return codec;
    }

    // The codec's pixels at size (one the codec offers), premultiplied RGBA; a failure names the file and why.
    private static byte[] Decode(SKCodec codec, string path, SKSizeI size)
    {
        var info = new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        if ((long)info.Width * info.Height * 4 > Array.MaxLength)
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"The image '{path}' is {info.Width}×{info.Height} pixels, too large to decode in memory. Shrink or remove it."));
        var pixels = new byte[info.Width * info.Height * 4];
        SKCodecResult result;
        unsafe
        {
            fixed (byte* target = pixels)
                result = codec.GetPixels(info, (IntPtr)target);
        }
        var stored = codec.Info.Size;
        if (result != SKCodecResult.Success)
            throw new InvalidDataException(result == SKCodecResult.IncompleteInput
                ? string.Create(CultureInfo.InvariantCulture, $"The image '{path}' cannot be read: it is truncated (the {codec.EncodedFormat} data ends before the last row of its {stored.Width}×{stored.Height} pixels). Replace or remove it.")
                : $"The image '{path}' cannot be read: decoding it as {codec.EncodedFormat} failed ({result}). Replace or remove it.");
        return pixels;
    }

    /// <summary>
    /// The stored RGBA pixels (<paramref name="width"/>×<paramref name="height"/>) turned upright for EXIF orientation
    /// <paramref name="origin"/> (TIFF tag 274: where the stored 0th row and 0th column belong in the picture).
    /// </summary>
    public static (byte[] Rgba, int Width, int Height) Orient(byte[] stored, int width, int height, SKEncodedOrigin origin)
    {
        if (origin is SKEncodedOrigin.TopLeft or < SKEncodedOrigin.TopLeft or > SKEncodedOrigin.LeftBottom)
            return (stored, width, height);
        var turned = Turns(origin);
        var (w, h) = turned ? (height, width) : (width, height);
        var upright = new byte[stored.Length];
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
            {
                // (ux, uy): where stored pixel (x, y) lies in the upright picture (w × h).
                var (ux, uy) = origin switch
                {
                    SKEncodedOrigin.TopRight => (w - 1 - x, y),             // 2: 0th row top, 0th column right
                    SKEncodedOrigin.BottomRight => (w - 1 - x, h - 1 - y),  // 3: 0th row bottom, 0th column right
                    SKEncodedOrigin.BottomLeft => (x, h - 1 - y),           // 4: 0th row bottom, 0th column left
                    SKEncodedOrigin.LeftTop => (y, x),                      // 5: 0th row left, 0th column top
                    SKEncodedOrigin.RightTop => (w - 1 - y, x),             // 6: 0th row right, 0th column top
                    SKEncodedOrigin.RightBottom => (w - 1 - y, h - 1 - x),  // 7: 0th row right, 0th column bottom
                    _ => (y, h - 1 - x),                                    // 8: 0th row left, 0th column bottom
                };
                Buffer.BlockCopy(stored, 4 * (y * width + x), upright, 4 * (uy * w + ux), 4);
            }
        return (upright, w, h);
    }

    /// <summary>
    /// Resamples the upright premultiplied RGBA picture into <paramref name="width"/>×<paramref name="height"/> by
    /// <paramref name="resize"/> and composites it on <paramref name="background"/>: interleaved R, G, B in [0, 255].
    /// </summary>
    public static float[] Fit(byte[] rgba, int sourceWidth, int sourceHeight, int width, int height, ImageResizeMode resize, SKColor background)
    {
        // The part of the source drawn, and where in the target it goes.
        double srcX = 0, srcY = 0, srcW = sourceWidth, srcH = sourceHeight;
        int dstX = 0, dstY = 0, dstW = width, dstH = height;
        var (scaleX, scaleY) = Scales(resize, width, height, sourceWidth, sourceHeight);
        if (resize == ImageResizeMode.CenterCrop)
        {
            srcW = width / scaleX;
            srcH = height / scaleY;
            srcX = (sourceWidth - srcW) / 2;
            srcY = (sourceHeight - srcH) / 2;
        }
        else if (resize == ImageResizeMode.Pad)
        {
            dstW = Math.Clamp((int)Math.Round(sourceWidth * scaleX), 1, width);
            dstH = Math.Clamp((int)Math.Round(sourceHeight * scaleY), 1, height);
            dstX = (width - dstW) / 2;
            dstY = (height - dstH) / 2;
        }
        var columns = Weights(srcX, srcW, sourceWidth, dstW);
        var rows = Weights(srcY, srcH, sourceHeight, dstH);

        // Two passes of one resampling: along each source row into the target's columns, then down each of those
        // columns into the target's rows. Pixels are 4 floats (premultiplied R, G, B, A).
        var across = Along(rgba, lines: sourceHeight, lineStep: sourceWidth, step: 1, columns, outLineStep: dstW, outStep: 1);
        var resized = Along(across, lines: dstW, lineStep: 1, step: dstW, rows, outLineStep: 1, outStep: dstW);

        // Vertical pass into the target, composited on the background: colour = premultiplied + (1 − alpha) × background.
        var output = new float[width * height * 3];
        for (var i = 0; i < width * height; i++)
        {
            output[3 * i] = background.Red;
            output[3 * i + 1] = background.Green;
            output[3 * i + 2] = background.Blue;
        }
        for (var y = 0; y < dstH; y++)
            for (var x = 0; x < dstW; x++)
            {
                var p = 4 * (y * dstW + x);
                float r = resized[p], g = resized[p + 1], b = resized[p + 2], a = resized[p + 3];
                var uncovered = Math.Clamp(1 - a / 255, 0, 1);
                var o = 3 * ((dstY + y) * width + dstX + x);
                // Rounded to whole levels, as an 8-bit picture of that size would hold them: a block of one grey stays that grey.
                output[o] = Math.Clamp(MathF.Round(r + uncovered * background.Red), 0, 255);
                output[o + 1] = Math.Clamp(MathF.Round(g + uncovered * background.Green), 0, 255);
                output[o + 2] = Math.Clamp(MathF.Round(b + uncovered * background.Blue), 0, 255);
            }
        return output;
    }

    /// <summary>
    /// Resamples <paramref name="lines"/> lines of pixels along their length by <paramref name="weights"/> (one entry
    /// per output pixel). Pixel k of line l is at <c>l × lineStep + k × step</c> (in pixels of 4 floats); the output
    /// is laid out the same way with <paramref name="outLineStep"/> and <paramref name="outStep"/>.
    /// </summary>
    // Generic so that the first pass reads the decoded bytes as they are (a full-size float copy of a large PNG
    // would cost four times its pixels in memory) and the second the first pass's floats.
    private static float[] Along<T>(T[] pixels, int lines, int lineStep, int step, (int Index, float Weight)[][] weights, int outLineStep, int outStep)
        where T : unmanaged, System.Numerics.INumberBase<T>
    {
        var output = new float[lines * weights.Length * 4];
        for (var line = 0; line < lines; line++)
            for (var k = 0; k < weights.Length; k++)
            {
                float r = 0, g = 0, b = 0, a = 0;
                foreach (var (index, weight) in weights[k])
                {
                    var p = 4 * (line * lineStep + index * step);
                    r += weight * float.CreateTruncating(pixels[p]);
                    g += weight * float.CreateTruncating(pixels[p + 1]);
                    b += weight * float.CreateTruncating(pixels[p + 2]);
                    a += weight * float.CreateTruncating(pixels[p + 3]);
                }
                var q = 4 * (line * outLineStep + k * outStep);
                output[q] = r;
                output[q + 1] = g;
                output[q + 2] = b;
                output[q + 3] = a;
            }
        return output;
    }

    /// <summary>
    /// For each of <paramref name="count"/> target pixels, the source pixels it reads and their weights (summing to 1):
    /// the share of each source pixel the target pixel covers when shrinking; linear interpolation between the two
    /// nearest source pixel centres when enlarging.
    /// </summary>
    private static (int Index, float Weight)[][] Weights(double start, double length, int sourceSize, int count)
    {
        var scale = length / count;
        var weights = new (int, float)[count][];
        for (var i = 0; i < count; i++)
        {
            if (scale >= 1)
            {
                double from = start + i * scale, to = from + scale;
                var list = new List<(int, float)>();
                for (var k = Math.Max(0, (int)Math.Floor(from)); k < Math.Min(sourceSize, (int)Math.Ceiling(to)); k++)
                {
                    var overlap = Math.Min(to, k + 1) - Math.Max(from, k);
                    if (overlap > 0)
                        list.Add((k, (float)(overlap / scale)));
                }
                weights[i] = list.ToArray();
            }
            else
            {
                var centre = Math.Clamp(start + (i + 0.5) * scale - 0.5, 0, sourceSize - 1);
                var left = Math.Min((int)Math.Floor(centre), sourceSize - 1);
                var right = Math.Min(left + 1, sourceSize - 1);
                var t = (float)(centre - left);
                weights[i] = right == left || t == 0 ? [(left, 1f)] : [(left, 1 - t), (right, t)];
            }
        }
        return weights;
    }

    /// <summary>Writes interleaved R, G, B values (0–255) as planar channels (R, G, B, or luma), divided by 255.</summary>
    public static void Extract(float[] rgb, int channels, Span<float> output)
    {
        var plane = rgb.Length / 3;
        if (output.Length != channels * plane)
            throw new ArgumentException($"The output holds {output.Length} values; {channels}×{plane} are needed.", nameof(output));
        const float scale = 1f / 255;
        for (var p = 0; p < plane; p++)
        {
            float r = rgb[3 * p], g = rgb[3 * p + 1], b = rgb[3 * p + 2];
            if (channels == 1)
                output[p] = (0.299f * r + 0.587f * g + 0.114f * b) * scale;
            else
            {
                output[p] = r * scale;
                output[plane + p] = g * scale;
                output[2 * plane + p] = b * scale;
            }
        }
    }

    // Orientations 5–8 store the picture on its side.
    private static bool Turns(SKEncodedOrigin origin) =>
        origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;

    // How much the upright picture is scaled along each axis to meet the target.
    private static (double X, double Y) Scales(ImageResizeMode resize, int width, int height, int pictureWidth, int pictureHeight)
    {
        double x = (double)width / pictureWidth, y = (double)height / pictureHeight;
        return resize switch
        {
            ImageResizeMode.Stretch => (x, y),
            ImageResizeMode.CenterCrop => (Math.Max(x, y), Math.Max(x, y)),
            ImageResizeMode.Pad => (Math.Min(x, y), Math.Min(x, y)),
            _ => throw new ArgumentOutOfRangeException(nameof(resize), resize, "Not a resize mode."),
        };
    }
}

/// <summary>What <see cref="ImageDecoder"/> makes of every image: size, channels (1 or 3), resize mode and background.</summary>
internal readonly record struct ImageSettings(int Width, int Height, int Channels, ImageResizeMode Resize, SKColor Background)
{
    /// <summary>The network's view of one image.</summary>
    public ImageGeometry Geometry => new(Channels, Height, Width);
}
