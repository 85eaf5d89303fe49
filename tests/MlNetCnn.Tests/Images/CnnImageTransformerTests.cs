using System.Drawing;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetCnn.Tests.Cli;
using MlNetCnn.Tests.Support;
using Microsoft.ML.Transforms.Image;
using SkiaSharp;

namespace MlNetCnn.Tests.Images;

public sealed class CnnImageTransformerTests : IDisposable
{
    private readonly TempFolder folder = new();
    private readonly MLContext ml = new(seed: 1);

    public void Dispose() => folder.Dispose();

    private sealed class PathRow
    {
        public string ImagePath { get; set; } = "";
    }

    private float[][] Read(CnnImageOptions options, params string[] paths)
    {
        var data = ml.Data.LoadFromEnumerable(paths.Select(p => new PathRow { ImagePath = p }));
        var step = ml.Transforms.LoadCnnImages(options).Fit(data);
        return Features(step.Transform(data));
    }

    private static float[][] Features(IDataView view) =>
        view.GetColumn<VBuffer<float>>(view.Schema["Features"]).Select(v => v.DenseValues().ToArray()).ToArray();

    private static float[] Planar(SKBitmap bitmap)
    {
        var values = new float[3 * bitmap.Width * bitmap.Height];
        var plane = bitmap.Width * bitmap.Height;
        for (var y = 0; y < bitmap.Height; y++)
            for (var x = 0; x < bitmap.Width; x++)
            {
                var c = bitmap.GetPixel(x, y);
                var i = y * bitmap.Width + x;
                values[i] = c.Red / 255f;
                values[plane + i] = c.Green / 255f;
                values[2 * plane + i] = c.Blue / 255f;
            }
        return values;
    }

    private static double MeanAbsoluteDifference(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        return a.Zip(b, (x, y) => Math.Abs(x - y)).Average();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public void Every_EXIF_orientation_gives_the_upright_pictures_pixels(int orientation)
    {
        using var upright = PhotoFiles.Upright();
        var path = folder.File($"o{orientation}.jpg");
        PhotoFiles.WriteJpegWithOrientation(path, upright, orientation);
        var plain = folder.File("plain.jpg");
        PhotoFiles.Write(plain, upright, SKEncodedImageFormat.Jpeg);

        var options = new CnnImageOptions { Width = upright.Width, Height = upright.Height, ColorMode = ImageColorMode.Color };
        var seen = Read(options, path, plain);
        var expected = Planar(upright);

        // Within JPEG tolerance of the upright picture, as closely as the same picture saved upright as JPEG …
        var error = MeanAbsoluteDifference(seen[0], expected);
        var jpegError = MeanAbsoluteDifference(seen[1], expected);
        Assert.True(error < jpegError + 0.01, $"orientation {orientation}: mean error {error:F4} against {jpegError:F4} for the upright JPEG");
        Assert.True(error < 0.03, $"orientation {orientation}: mean error {error:F4}");
        // … and unlike the stored pixels, turned or mirrored.
        if (orientation is > 1 and < 5)
        {
            using var stored = PhotoFiles.StoredFor(upright, orientation);
            Assert.True(MeanAbsoluteDifference(Planar(stored), expected) > 0.2);
        }
    }

    [Fact]
    public void MLNETs_LoadImages_ignores_the_orientation_and_this_step_does_not()
    {
        using var upright = PhotoFiles.Upright(32, 32);
        var path = folder.File("o6.jpg");
        PhotoFiles.WriteJpegWithOrientation(path, upright, 6);
        var data = ml.Data.LoadFromEnumerable(new[] { new PathRow { ImagePath = path } });
        var mlnet = ml.Transforms.LoadImages("Image", null, "ImagePath")
            .Append(ml.Transforms.ResizeImages("Image", 32, 32, "Image", ImageResizingEstimator.ResizingKind.Fill))
            .Append(ml.Transforms.ExtractPixels("Features", "Image", ImagePixelExtractingEstimator.ColorBits.Rgb, scaleImage: 1f / 255))
            .Fit(data);
        var expected = Planar(upright);
        var theirs = Features(mlnet.Transform(data))[0];
        var ours = Read(new CnnImageOptions { Width = 32, Height = 32, ColorMode = ImageColorMode.Color }, path)[0];
        Assert.True(MeanAbsoluteDifference(theirs, expected) > 0.2);
        Assert.True(MeanAbsoluteDifference(ours, expected) < 0.03);
    }

    [Theory]
    [InlineData("cmyk.jpg")]
    [InlineData("progressive.jpg")]
    public void CMYK_and_progressive_JPEGs_read_as_the_picture_they_hold(string name)
    {
        // Made by Images/Fixtures/make.sh (ImageMagick) from upright.png: SkiaSharp writes neither kind.
        var fixtures = System.IO.Path.Combine(AppContext.BaseDirectory, "Images", "Fixtures");
        var options = new CnnImageOptions { Width = 48, Height = 32 };
        var seen = Read(options, System.IO.Path.Combine(fixtures, name), System.IO.Path.Combine(fixtures, "upright.png"));
        Assert.Equal(3 * 48 * 32, seen[0].Length);
        var error = MeanAbsoluteDifference(seen[0], seen[1]);
        Assert.True(error < 0.04, $"{name}: mean error {error:F4} against upright.png");
    }

    [Fact]
    public void Transparent_pixels_are_composited_on_white_by_default_and_on_the_background_asked_for()
    {
        var path = folder.File("alpha.png");
        PhotoFiles.WriteTransparentPng(path);
        var grey = new CnnImageOptions { Width = 32, Height = 32, ColorMode = ImageColorMode.Grayscale };
        var white = Read(grey, path)[0];
        Assert.Equal(1f, white[0], 3);                       // a transparent corner
        Assert.Equal(128 / 255f, white[16 * 32 + 16], 2);    // the opaque middle
        grey.Background = Color.FromArgb(0, 0, 255);
        var blue = Read(new CnnImageOptions { Width = 32, Height = 32, ColorMode = ImageColorMode.Color, Background = Color.FromArgb(0, 0, 255) }, path)[0];
        Assert.Equal(0f, blue[0], 3);                        // red plane, corner
        Assert.Equal(1f, blue[2 * 32 * 32], 3);              // blue plane, corner
        Assert.Equal(128 / 255f, blue[2 * 32 * 32 + 16 * 32 + 16], 2);

        // ML.NET's LoadImages keeps the premultiplied colour bytes: transparent is black.
        var data = ml.Data.LoadFromEnumerable(new[] { new PathRow { ImagePath = path } });
        var mlnet = ml.Transforms.LoadImages("Image", null, "ImagePath")
            .Append(ml.Transforms.ResizeImages("Image", 32, 32, "Image", ImageResizingEstimator.ResizingKind.Fill))
            .Append(ml.Transforms.ExtractPixels("Features", "Image", ImagePixelExtractingEstimator.ColorBits.Red, scaleImage: 1f / 255)).Fit(data);
        Assert.Equal(0f, Features(mlnet.Transform(data))[0][0]);
    }

    [Fact]
    public void Pad_keeps_the_whole_picture_with_background_margins_and_crop_keeps_the_centre()
    {
        using var upright = PhotoFiles.Upright(48, 32);
        var path = folder.File("wide.png");
        PhotoFiles.Write(path, upright, SKEncodedImageFormat.Png);

        var padded = Read(new CnnImageOptions { Width = 48, Height = 48, Resize = ImageResizeMode.Pad, ColorMode = ImageColorMode.Color }, path)[0];
        // 48×32 fits 48×48 unscaled, 8 rows of background above and below.
        for (var x = 0; x < 48; x++)
        {
            Assert.Equal(1f, padded[3 * 48 + x], 3);
            Assert.Equal(1f, padded[44 * 48 + x], 3);
        }
        Assert.Equal(220 / 255f, padded[(8 + 10) * 48 + 5], 2);  // red quadrant, below the white bar

        var cropped = Read(new CnnImageOptions { Width = 32, Height = 32, Resize = ImageResizeMode.CenterCrop, ColorMode = ImageColorMode.Color }, path)[0];
        var expected = Planar(upright);
        for (var c = 0; c < 3; c++)
            for (var y = 0; y < 32; y++)
                for (var x = 0; x < 32; x++)
                    Assert.Equal(expected[c * 48 * 32 + y * 48 + x + 8], cropped[c * 32 * 32 + y * 32 + x], 2);

        var stretched = Read(new CnnImageOptions { Width = 24, Height = 32, Resize = ImageResizeMode.Stretch, ColorMode = ImageColorMode.Color }, path)[0];
        Assert.Equal(220 / 255f, stretched[12 * 24 + 2], 1);  // top left still red (red plane)
        Assert.Equal(30 / 255f, stretched[12 * 24 + 21], 1);  // top right still green
    }

    [Fact]
    public void Auto_colour_is_grey_for_grey_images_and_colour_when_one_image_is_coloured()
    {
        using var upright = PhotoFiles.Upright(32, 32);
        using var grey = PhotoFiles.Grey(upright);
        var greyPng = folder.File("grey.png");
        PhotoFiles.Write(greyPng, grey, SKEncodedImageFormat.Png);
        var greyJpeg = folder.File("grey.jpg");
        PhotoFiles.Write(greyJpeg, grey, SKEncodedImageFormat.Jpeg);
        var colour = folder.File("colour.jpg");
        PhotoFiles.Write(colour, upright, SKEncodedImageFormat.Jpeg);
        var grey16 = folder.File("grey16.png");
        OddPng.WriteGrey16(grey16, OddPng.ReadGrey(greyPng));

        var data = (string[] paths) => ml.Data.LoadFromEnumerable(paths.Select(p => new PathRow { ImagePath = p }));
        var auto = new CnnImageOptions { Width = 32, Height = 32 };
        Assert.Equal(1, ml.Transforms.LoadCnnImages(auto).Fit(data([greyPng, greyJpeg, grey16])).Channels);
        Assert.Equal(3, ml.Transforms.LoadCnnImages(auto).Fit(data([greyPng, colour])).Channels);
        auto.ColorMode = ImageColorMode.Grayscale;
        var luma = ml.Transforms.LoadCnnImages(auto).Fit(data([colour]));
        Assert.Equal(1, luma.Channels);
        Assert.Equal(new ImageGeometry(1, 32, 32), luma.Geometry);

        // A 16-bit grey PNG reads as its 8-bit original.
        var eight = Read(new CnnImageOptions { Width = 32, Height = 32 }, greyPng, grey16);
        Assert.Equal(eight[0], eight[1]);
    }

    [Fact]
    public void The_step_saves_and_loads_with_its_settings_and_gives_the_same_pixels()
    {
        using var upright = PhotoFiles.Upright();
        var path = folder.File("o8.jpg");
        PhotoFiles.WriteJpegWithOrientation(path, upright, 8);
        var data = ml.Data.LoadFromEnumerable(new[] { new PathRow { ImagePath = "o8.jpg" } });
        var options = new CnnImageOptions
        {
            ImageFolder = folder.Path, Width = 40, Height = 24, Resize = ImageResizeMode.Pad, Background = Color.FromArgb(10, 20, 30),
        };
        var step = ml.Transforms.LoadCnnImages(options).Fit(data);
        var zip = folder.File("step.zip");
        ml.Model.Save(step, data.Schema, zip);
        var loaded = (CnnImageTransformer)ml.Model.Load(zip, out _);
        Assert.Equal((step.Geometry, step.Resize, step.Background.ToArgb(), step.ImageFolder), (loaded.Geometry, loaded.Resize, loaded.Background.ToArgb(), loaded.ImageFolder));
        Assert.Equal(new ImageGeometry(3, 24, 40), loaded.Geometry);
        Assert.Equal(Features(step.Transform(data)), Features(loaded.Transform(data)));

        using var engine = ml.Model.CreatePredictionEngine<PathRow, FeaturesRow>(loaded);
        Assert.Equal(Features(step.Transform(data))[0], engine.Predict(new PathRow { ImagePath = "o8.jpg" }).Features);
    }

    private sealed class FeaturesRow
    {
        [VectorType(3 * 24 * 40)]
        public float[] Features { get; set; } = [];
    }

    [Fact]
    public void A_file_that_is_not_a_whole_image_fails_its_row_by_name()
    {
        var text = folder.File("notes.png");
        File.WriteAllText(text, "not an image");
        var empty = folder.File("empty.jpg");
        File.WriteAllBytes(empty, []);
        using var upright = PhotoFiles.Upright();
        var cut = folder.File("cut.png");
        PhotoFiles.Write(cut, upright, SKEncodedImageFormat.Png);
        var whole = File.ReadAllBytes(cut);
        File.WriteAllBytes(cut, whole[..(whole.Length / 2)]);
        var options = new CnnImageOptions { ColorMode = ImageColorMode.Color };
        foreach (var (file, words) in new[] { (text, "is not a valid PNG image"), (empty, "empty"), (cut, "truncated"), (folder.File("missing.png"), "cannot be opened") })
        {
            var e = Assert.ThrowsAny<Exception>(() => Read(options, file));
            var message = e is InvalidDataException ? e.Message : e.InnerException?.Message ?? e.Message;
            Assert.Contains(file, message);
            Assert.Contains(words, message);
            // The public check says the same without reading through a pipeline.
            Assert.Equal(message, CnnImageTransformer.CheckImage(file));
        }
        Assert.Null(CnnImageTransformer.CheckImage(System.IO.Path.Combine(AppContext.BaseDirectory, "Images", "Fixtures", "cmyk.jpg")));
    }

    [Fact]
    public void Bad_options_and_a_missing_or_non_text_path_column_are_refused_by_name()
    {
        Assert.Equal("Width", Assert.ThrowsAny<ArgumentException>(() => ml.Transforms.LoadCnnImages(new CnnImageOptions { Width = 0 })).ParamName);
        Assert.Equal("Background", Assert.ThrowsAny<ArgumentException>(() => ml.Transforms.LoadCnnImages(new CnnImageOptions { Background = Color.Transparent })).ParamName);
        var numbers = ml.Data.LoadFromEnumerable(new[] { new { ImagePath = 1f } });
        Assert.Contains("must be text", Assert.ThrowsAny<ArgumentException>(() => ml.Transforms.LoadCnnImages().Fit(numbers)).Message);
        var none = ml.Data.LoadFromEnumerable(new[] { new { Path = "a.png" } });
        Assert.Contains("no column 'ImagePath'", Assert.ThrowsAny<ArgumentException>(() => ml.Transforms.LoadCnnImages().Fit(none)).Message);
    }
}
