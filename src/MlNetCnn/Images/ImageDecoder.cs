using System.Globalization;
using SkiaSharp;

namespace MlNetCnn.Images;

/// <summary>
/// One image file to the network's pixels, the way a viewer shows it: decoded whole, turned upright by its EXIF
/// orientation, composited on an opaque background, brought to size by the resize mode in one resampling, then
/// written as planar channels of values in [0, 1].
/// </summary>
internal static class ImageDecoder
{
    // Decode at least this many times the target's pixels per side, so downscaling still has pixels to average.
    private const double Oversampling = 2;
    // ImageColorMode.Auto: a pixel is coloured when two channels differ by more than this many levels; an image is
    // coloured when more than this share of its pixels is.
    private const int ColorLevels = 8;
    private const double ColorShare = 0.01;

    /// <summary>Decodes <paramref name="path"/> into <paramref name="output"/> (C×H×W values, see <see cref="ImageSettings"/>).</summary>
    /// <exception cref="InvalidDataException">The file cannot be opened or decoded whole; the message names it and why.</exception>
    public static void Read(string path, ImageSettings settings, Span<float> output)
    {
        using var rendered = Render(path, settings.Width, settings.Height, settings.Resize, settings.Background);
        Extract(rendered, settings.Channels, output);
    }

    /// <summary>Whether the picture at <paramref name="path"/> is in colour (see <see cref="ImageColorMode.Auto"/>), looked at at the target size.</summary>
    public static bool IsColor(string path, ImageSettings settings)
    {
        using var rendered = Render(path, settings.Width, settings.Height, ImageResizeMode.Stretch, SKColors.White);
        var pixels = rendered.GetPixelSpan();
        var coloured = 0;
        for (var i = 0; i < pixels.Length; i += 4)
        {
            int r = pixels[i], g = pixels[i + 1], b = pixels[i + 2];
            if (Math.Abs(r - g) > ColorLevels || Math.Abs(g - b) > ColorLevels || Math.Abs(r - b) > ColorLevels)
                coloured++;
        }
        return coloured > ColorShare * (pixels.Length / 4);
    }

    /// <summary>The picture upright and at <paramref name="width"/>×<paramref name="height"/>, opaque, in RGBA.</summary>
    public static SKBitmap Render(string path, int width, int height, ImageResizeMode resize, SKColor background)
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
        using (file)
        {
            if (file.Length == 0)
                throw new InvalidDataException($"The image '{path}' is empty (0 bytes).");
            using var codec = SKCodec.Create(file, out var opened)
                ?? throw new InvalidDataException($"The image '{path}' cannot be read: it is not an image SkiaSharp decodes ({opened}).");
            return Render(codec, path, width, height, resize, background);
        }
    }

    private static SKBitmap Render(SKCodec codec, string path, int width, int height, ImageResizeMode resize, SKColor background)
    {
        var stored = codec.Info.Size;
        if (stored.Width < 1 || stored.Height < 1)
            throw new InvalidDataException($"The image '{path}' cannot be read: it has no pixels ({stored.Width}×{stored.Height}).");
        var origin = codec.EncodedOrigin;
        var turned = Turns(origin);
        var (uprightWidth, uprightHeight) = turned ? (stored.Height, stored.Width) : (stored.Width, stored.Height);
        var (scaleX, scaleY) = Scales(resize, width, height, uprightWidth, uprightHeight);
        // A JPEG decodes at 1/8 steps of its size: ask for the smallest that still oversamples the target.
        var wanted = Math.Min(1, Oversampling * Math.Max(scaleX, scaleY));
        var size = codec.GetScaledDimensions((float)wanted);
        var info = new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var decoded = new SKBitmap();
        if (!decoded.TryAllocPixels(info))
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"The image '{path}' is {info.Width}×{info.Height} pixels, too large to decode in memory."));
        var result = codec.GetPixels(info, decoded.GetPixels());
        if (result != SKCodecResult.Success)
            throw new InvalidDataException(result == SKCodecResult.IncompleteInput
                ? string.Create(CultureInfo.InvariantCulture, $"The image '{path}' cannot be read: it is truncated (the {codec.EncodedFormat} data ends before the last row of its {stored.Width}×{stored.Height} pixels).")
                : $"The image '{path}' cannot be read: decoding it as {codec.EncodedFormat} failed ({result}).");

        var (decodedWidth, decodedHeight) = turned ? (size.Height, size.Width) : (size.Width, size.Height);
        (scaleX, scaleY) = Scales(resize, width, height, decodedWidth, decodedHeight);
        var offsetX = (width - decodedWidth * scaleX) / 2;
        var offsetY = (height - decodedHeight * scaleY) / 2;
        var place = SKMatrix.CreateScaleTranslation((float)scaleX, (float)scaleY, (float)offsetX, (float)offsetY);

        var rendered = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(rendered);
        canvas.Clear(background);
        canvas.SetMatrix(place.PreConcat(Orientation(origin, size.Width, size.Height)));
        using var paint = new SKPaint { FilterQuality = SKFilterQuality.High, IsAntialias = true };
        canvas.DrawBitmap(decoded, 0, 0, paint);
        canvas.Flush();
        return rendered;
    }

    /// <summary>Writes the opaque RGBA <paramref name="bitmap"/> as planar channels (R, G, B or luma), divided by 255.</summary>
    public static void Extract(SKBitmap bitmap, int channels, Span<float> output)
    {
        var pixels = bitmap.GetPixelSpan();
        var plane = bitmap.Width * bitmap.Height;
        if (output.Length != channels * plane)
            throw new ArgumentException($"The output holds {output.Length} values; {channels}×{bitmap.Height}×{bitmap.Width} are needed.", nameof(output));
        const float scale = 1f / 255;
        for (var p = 0; p < plane; p++)
        {
            float r = pixels[4 * p], g = pixels[4 * p + 1], b = pixels[4 * p + 2];
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

    /// <summary>
    /// Maps stored pixel coordinates (a <paramref name="width"/>×<paramref name="height"/> image) to upright ones, for
    /// the EXIF orientation <paramref name="origin"/> (TIFF tag 274: where the stored first row and column belong).
    /// </summary>
    public static SKMatrix Orientation(SKEncodedOrigin origin, int width, int height) => origin switch
    {
        // x' = ScaleX·x + SkewX·y + TransX; y' = SkewY·x + ScaleY·y + TransY.
        SKEncodedOrigin.TopRight => new SKMatrix(-1, 0, width, 0, 1, 0, 0, 0, 1),       // 2: mirrored left–right
        SKEncodedOrigin.BottomRight => new SKMatrix(-1, 0, width, 0, -1, height, 0, 0, 1), // 3: turned 180°
        SKEncodedOrigin.BottomLeft => new SKMatrix(1, 0, 0, 0, -1, height, 0, 0, 1),     // 4: mirrored top–bottom
        SKEncodedOrigin.LeftTop => new SKMatrix(0, 1, 0, 1, 0, 0, 0, 0, 1),              // 5: transposed
        SKEncodedOrigin.RightTop => new SKMatrix(0, -1, height, 1, 0, 0, 0, 0, 1),       // 6: turn 90° clockwise to view
        SKEncodedOrigin.RightBottom => new SKMatrix(0, -1, height, -1, 0, width, 0, 0, 1), // 7: transverse
        SKEncodedOrigin.LeftBottom => new SKMatrix(0, 1, 0, -1, 0, width, 0, 0, 1),      // 8: turn 90° anticlockwise to view
        _ => SKMatrix.Identity,                                                          // 1, or none recorded
    };
}

/// <summary>What <see cref="ImageDecoder"/> makes of every image: size, channels (1 or 3), resize mode and background.</summary>
internal readonly record struct ImageSettings(int Width, int Height, int Channels, ImageResizeMode Resize, SKColor Background)
{
    /// <summary>The network's view of one image.</summary>
    public ImageGeometry Geometry => new(Channels, Height, Width);
}
