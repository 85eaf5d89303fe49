using Microsoft.ML;
using MlNetCnn.Tests.Support;
using SkiaSharp;

namespace MlNetCnn.Tests;

/// <summary>
/// Classes that differ only in a way a height/width transpose or a red/blue swap undoes: a model that learns them has
/// read rows as rows and channels as channels, from training through scoring. (The synthetic patch classes survive a
/// transpose, so they cannot show that.)
/// </summary>
public sealed class ImageLayoutTests
{
    private const int Side = ImageRow.Side;
    private const double Learned = 0.95;
    private const double Undone = 0.1;

    private readonly MLContext ml = new(seed: 1);

    [Fact]
    public void Horizontal_and_vertical_stripes_are_learned_and_the_transposed_images_are_scored_as_the_other_class()
    {
        var train = StripeRows(160, seed: 1);
        var test = StripeRows(60, seed: 2);
        using var model = new CnnEstimator(ml, SyntheticImages.FastOptions(epochs: 4)).Fit(ml.Data.LoadFromEnumerable(train));

        var accuracy = Accuracy(model.Transform(ml.Data.LoadFromEnumerable(test)), test.Select(r => r.Label));
        var transposed = test.Select(r => new ImageRow { Label = r.Label, Features = Transpose(r.Features) }).ToList();
        var transposedAccuracy = Accuracy(model.Transform(ml.Data.LoadFromEnumerable(transposed)), test.Select(r => r.Label));

        Assert.True(accuracy >= Learned, $"held-out accuracy {accuracy}");
        Assert.True(transposedAccuracy <= Undone, $"accuracy on the transposed images {transposedAccuracy}: the model should call them the other class");
    }

    [Fact]
    public void Red_and_blue_pngs_are_learned_through_the_image_stages_and_the_channel_swapped_files_score_as_the_other_class()
    {
        using var folder = new TempFolder();
        var train = WriteColourPngs(Path.Combine(folder.Path, "train"), 120, seed: 1, swapRedAndBlue: false);
        var test = WriteColourPngs(Path.Combine(folder.Path, "test"), 40, seed: 2, swapRedAndBlue: false);
        var swapped = WriteColourPngs(Path.Combine(folder.Path, "swapped"), 40, seed: 2, swapRedAndBlue: true);
        var pipeline = ml.Transforms.LoadImages("Image", null, "ImagePath")
            .Append(ml.Transforms.ResizeImages("Image", Side, Side))
            .Append(ml.Transforms.ExtractPixels("Features", "Image", scaleImage: 1f / 255))
            .Append(new CnnEstimator(ml, SyntheticImages.FastOptions(epochs: 3)));
        using var model = pipeline.Fit(ml.Data.LoadFromEnumerable(train));

        var accuracy = Accuracy(model.Transform(ml.Data.LoadFromEnumerable(test)), test.Select(r => r.Label));
        var swappedAccuracy = Accuracy(model.Transform(ml.Data.LoadFromEnumerable(swapped)), test.Select(r => r.Label));

        Assert.Equal(new ImageGeometry(3, Side, Side), model.LastTransformer.Geometry);
        Assert.True(accuracy >= Learned, $"held-out accuracy {accuracy}");
        Assert.True(swappedAccuracy <= Undone, $"accuracy on the red/blue-swapped files {swappedAccuracy}: the model should call them the other class");
    }

    private static double Accuracy(IDataView scored, IEnumerable<bool> labels) =>
        Scores.Predicted(scored).Zip(labels).Count(p => p.First == p.Second) / (double)labels.Count();

    /// <summary>Positives have horizontal stripes, negatives vertical ones, of a random period and phase, over noise.</summary>
    private static List<ImageRow> StripeRows(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(i =>
        {
            var horizontal = i % 2 == 0;
            var (period, phase) = (random.Next(4, 9), random.Next(8));
            var pixels = new float[Side * Side];
            for (var y = 0; y < Side; y++)
            for (var x = 0; x < Side; x++)
            {
                var across = horizontal ? y : x;
                pixels[y * Side + x] = ((across + phase) % period < period / 2 ? 0.8f : 0.2f) + (float)random.NextDouble() * 0.1f;
            }
            return new ImageRow { Label = horizontal, Features = pixels };
        }).ToList();
    }

    private static float[] Transpose(float[] pixels)
    {
        var transposed = new float[pixels.Length];
        for (var y = 0; y < Side; y++)
        for (var x = 0; x < Side; x++)
            transposed[x * Side + y] = pixels[y * Side + x];
        return transposed;
    }

    /// <summary>
    /// PNGs of a random grey blob pattern, the same for both classes given the seed: positives draw it in red, negatives
    /// in blue (or the other way round when <paramref name="swapRedAndBlue"/>).
    /// </summary>
    private static List<ImagePipelineTests.ImageInput> WriteColourPngs(string folder, int count, int seed, bool swapRedAndBlue)
    {
        Directory.CreateDirectory(folder);
        var random = new Random(seed);
        var rows = new List<ImagePipelineTests.ImageInput>();
        for (var i = 0; i < count; i++)
        {
            var red = i % 2 == 0;
            using var bitmap = new SKBitmap(Side, Side, SKColorType.Rgba8888, SKAlphaType.Opaque);
            var (cy, cx, radius) = (random.Next(8, Side - 8), random.Next(8, Side - 8), random.Next(4, 9));
            for (var y = 0; y < Side; y++)
            for (var x = 0; x < Side; x++)
            {
                var inBlob = (y - cy) * (y - cy) + (x - cx) * (x - cx) <= radius * radius;
                var v = (byte)(inBlob ? 160 + random.Next(96) : random.Next(40));
                bitmap.SetPixel(x, y, red != swapRedAndBlue ? new SKColor(v, 0, 0) : new SKColor(0, 0, v));
            }
            var path = Path.Combine(folder, $"{i:D4}.png");
            using (var image = SKImage.FromBitmap(bitmap))
            using (var data = image.Encode(SKEncodedImageFormat.Png, 100))
                File.WriteAllBytes(path, data.ToArray());
            rows.Add(new ImagePipelineTests.ImageInput { ImagePath = path, Label = red });
        }
        return rows;
    }
}
