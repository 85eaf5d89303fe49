using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using MlNetCnn.Tests.Support;
using SkiaSharp;

namespace MlNetCnn.Bench;

/// <summary>
/// <c>--photo-folder [--out DIR] [--epochs N]</c>: Fashion-MNIST Sneaker vs Ankle boot turned into a folder of
/// phone-like photos (tinted colour, sizes and aspect ratios that vary, a third stored on their side with an EXIF
/// orientation, a fifth as cut-outs on a transparent background, a third one or two folders down, with notes and
/// .DS_Store files beside them), plus an upright twin of the test half. Trains the same network through ML.NET's
/// LoadImages → ResizeImages → ExtractPixels and through MlNetCnn's image step, and measures both on the photos and on
/// their upright twins. The folders stay in DIR for the CLI (train/ and test/ with class folders 7 and 9).
/// </summary>
internal static class PhotoFolderBench
{
    public const string Flag = "--photo-folder";
    private const int TrainPerClass = 500;
    private const int TestPerClass = 200;
    private const int Side = 36;

    private sealed class Row
    {
        public string ImagePath { get; set; } = "";
        public bool Label { get; set; }
    }

    public static int Run(string[] args)
    {
        var outFolder = Value(args, "--out") ?? Path.Combine(Path.GetTempPath(), "mlnetcnn-photos");
        var epochs = int.Parse(Value(args, "--epochs") ?? "5", CultureInfo.InvariantCulture);
        var header = RunHeader.Read(args);
        Console.WriteLine($"commit {header.Commit}; {header.CpuModel}; load {header.LoadAverage}");
        if (Directory.Exists(outFolder))
            Directory.Delete(outFolder, recursive: true);
        var images = FashionMnist.SneakersAndBoots(2 * (TrainPerClass + TestPerClass));
        var random = new Random(7);
        var train = Write(Path.Combine(outFolder, "train"), images.Take(2 * TrainPerClass), random, messy: true);
        var testRows = images.Skip(2 * TrainPerClass).ToArray();
        var test = Write(Path.Combine(outFolder, "test"), testRows, new Random(8), messy: true);
        var upright = Write(Path.Combine(outFolder, "test-upright"), testRows, new Random(8), messy: false);
        Console.WriteLine($"wrote {train.Count} training and {test.Count} test photos (and {upright.Count} upright twins) under {outFolder}");

        var ml = new MLContext(1);
        var options = new CnnOptions { Epochs = epochs, Seed = 1, BatchSize = 32, LearningRate = 1e-3 };
        var mlnet = ml.Transforms.LoadImages("Image", null, nameof(Row.ImagePath))
            .Append(ml.Transforms.ResizeImages("Image", Side, Side, "Image", ImageResizingEstimator.ResizingKind.Fill))
            .Append(ml.Transforms.ExtractPixels("Features", "Image", ImagePixelExtractingEstimator.ColorBits.Rgb, scaleImage: 1f / 255))
            .Append(new CnnEstimator(ml, options));
        var ours = ml.Transforms.LoadCnnImages(new CnnImageOptions { Width = Side, Height = Side })
            .Append(new CnnEstimator(ml, options));
        Console.WriteLine($"| route | photos: accuracy | AUC | upright twins: accuracy | AUC | fit s |");
        Console.WriteLine("| --- | --- | --- | --- | --- | --- |");
        foreach (var (name, pipeline) in new (string, IEstimator<ITransformer>)[] { ("ML.NET LoadImages + ResizeImages(Fill) + ExtractPixels(Rgb)", mlnet), ("MlNetCnn LoadCnnImages (Stretch, Auto colour, white)", ours) })
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var model = pipeline.Fit(ml.Data.LoadFromEnumerable(train));
            var seconds = clock.Elapsed.TotalSeconds;
            var onPhotos = ml.BinaryClassification.Evaluate(model.Transform(ml.Data.LoadFromEnumerable(test)));
            var onUpright = ml.BinaryClassification.Evaluate(model.Transform(ml.Data.LoadFromEnumerable(upright)));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {onPhotos.Accuracy:F3} | {onPhotos.AreaUnderRocCurve:F3} | {onUpright.Accuracy:F3} | {onUpright.AreaUnderRocCurve:F3} | {seconds:F0} |"));
            (model as IDisposable)?.Dispose();
        }
        return 0;
    }

    private static string? Value(string[] args, string flag)
    {
        var i = Array.IndexOf(args, flag);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    // Each image as a photo of its class folder (7 sneaker, 9 ankle boot); messy: sideways, cut-outs, subfolders, clutter.
    private static List<Row> Write(string folder, IEnumerable<(byte[] Pixels, bool Label)> images, Random random, bool messy)
    {
        var rows = new List<Row>();
        var n = 0;
        foreach (var (pixels, label) in images)
        {
            var cls = label ? "9" : "7";
            var kind = messy ? random.Next(15) : -1;
            var sub = messy && kind % 3 == 0 ? (kind % 2 == 0 ? "2024/summer" : "old") : "";
            var dir = Path.Combine(folder, cls, sub);
            Directory.CreateDirectory(dir);
            var tint = new SKColor((byte)random.Next(150, 256), (byte)random.Next(120, 256), (byte)random.Next(90, 256));
            var width = 56 + random.Next(64);
            var height = (int)(width * (random.Next(2) == 0 ? 0.75 : 1.33));
            var cutout = messy && kind >= 12;
            using var photo = Photo(pixels, tint, width, height, cutout);
            string path;
            if (messy && kind is >= 1 and <= 5)
            {
                path = Path.Combine(dir, $"IMG_{n:D5}.JPG");
                PhotoFiles.WriteJpegWithOrientation(path, photo, kind % 2 == 0 ? 6 : 8, quality: 90);
            }
            else if (cutout)
            {
                path = Path.Combine(dir, $"cut-out {n:D5}.png");
                PhotoFiles.Write(path, photo, SKEncodedImageFormat.Png);
            }
            else
            {
                path = Path.Combine(dir, $"photo {n:D5}.jpg");
                PhotoFiles.Write(path, photo, SKEncodedImageFormat.Jpeg, quality: 90);
            }
            rows.Add(new Row { ImagePath = path, Label = label });
            n++;
        }
        if (messy)
        {
            File.WriteAllText(Path.Combine(folder, "notes.txt"), "shop photos");
            File.WriteAllBytes(Path.Combine(folder, "9", ".DS_Store"), [0, 0, 0, 1]);
        }
        return rows;
    }

    // The 28×28 grey item, tinted, scaled to cover a width×height picture on a light backdrop (or a transparent one).
    private static SKBitmap Photo(byte[] pixels, SKColor tint, int width, int height, bool cutout)
    {
        var photo = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        var scale = Math.Min(width, height) / (double)FashionMnist.Side;
        var offsetX = (width - FashionMnist.Side * scale) / 2;
        var offsetY = (height - FashionMnist.Side * scale) / 2;
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
            {
                int sx = (int)((x - offsetX) / scale), sy = (int)((y - offsetY) / scale);
                var v = sx is >= 0 and < FashionMnist.Side && sy is >= 0 and < FashionMnist.Side ? pixels[sy * FashionMnist.Side + sx] : 0;
                // The item is light on dark in Fashion-MNIST; in the photo it is a tinted object on a light backdrop.
                var colour = new SKColor((byte)(255 - v * (255 - tint.Red) / 255), (byte)(255 - v * (255 - tint.Green) / 255), (byte)(255 - v * (255 - tint.Blue) / 255),
                    (byte)(cutout && v < 10 ? 0 : 255));
                photo.SetPixel(x, y, cutout && v < 10 ? new SKColor(0, 0, 0, 0) : colour);
            }
        return photo;
    }
}
