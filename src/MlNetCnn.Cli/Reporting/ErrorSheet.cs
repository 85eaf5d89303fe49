using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetCnn.Cli.Data;
using MlNetCnn.Cli.Output;
using SkiaSharp;
using MlNetCnn.Persistence;

namespace MlNetCnn.Cli.Reporting;

/// <summary>
/// errors.png: a contact sheet of the most confidently wrong images, as the network saw them (after the model's own
/// image steps), each with its file name, true class, predicted class and probability of the positive class.
/// </summary>
internal static class ErrorSheet
{
    /// <summary>The most images on the sheet.</summary>
    public const int MaxImages = 32;
    private const int Columns = 8;
    private const int Tile = 112;
    private const int Picture = 96;
    private const int TextLines = 3;
    private const int LineHeight = 14;
    private const int Header = 36;

    /// <summary>
    /// The wrong predictions of <paramref name="evaluation"/>, most confident first (the probability given to the wrong
    /// class, highest first; ties in listing order), at most <see cref="MaxImages"/>.
    /// </summary>
    public static IReadOnlyList<int> MostConfidentlyWrong(Evaluation evaluation) =>
        Enumerable.Range(0, evaluation.Labels.Length)
            .Where(i => evaluation.Labels[i] != evaluation.Predicted[i])
            .OrderByDescending(i => evaluation.Labels[i] ? 1 - evaluation.Probabilities[i] : evaluation.Probabilities[i])
            .ThenBy(i => i)
            .Take(MaxImages)
            .ToArray();

    /// <summary>Writes <paramref name="path"/> (atomically) for <paramref name="evaluation"/> of <paramref name="model"/>.</summary>
    public static void Write(string path, MLContext ml, ITransformer model, Evaluation evaluation)
    {
        var wrong = MostConfidentlyWrong(evaluation);
        var total = Enumerable.Range(0, evaluation.Labels.Length).Count(i => evaluation.Labels[i] != evaluation.Predicted[i]);
        var geometry = model.FindCnn().Geometry;
        var pictures = Seen(ml, model, wrong.Select(i => evaluation.Folder.Rows[i]).ToArray(), geometry);
        var rows = Math.Max(1, (wrong.Count + Columns - 1) / Columns);
        using var sheet = new SKBitmap(Columns * Tile, Header + rows * (Tile + TextLines * LineHeight));
        using (var canvas = new SKCanvas(sheet))
        {
            canvas.Clear(SKColors.White);
            using var typeface = SKTypeface.FromFamilyName(Plots.Font);
            using var titleFont = new SKFont(typeface, 14);
            using var font = new SKFont(typeface, 10.5f);
            using var black = Ink(SKColors.Black);
            using var red = Ink(new SKColor(0xb0, 0x1c, 0x1c));
            // The network's pixels, enlarged without smoothing.
            var nearest = new SKSamplingOptions(SKFilterMode.Nearest);
            var heading = wrong.Count == 0
                ? string.Create(CultureInfo.InvariantCulture, $"No wrong predictions among {evaluation.Labels.Length} images (threshold {evaluation.Threshold:0.###}).")
                : string.Create(CultureInfo.InvariantCulture,
                    $"The {wrong.Count} most confidently wrong of {total} wrong predictions among {evaluation.Labels.Length} images (threshold {evaluation.Threshold:0.###}), as the network saw them.");
            canvas.DrawText(Plots.Shorten(heading, 120), 8, 22, SKTextAlign.Left, titleFont, black);
            for (var k = 0; k < wrong.Count; k++)
            {
                var i = wrong[k];
                var x = k % Columns * Tile;
                var y = Header + k / Columns * (Tile + TextLines * LineHeight);
                using var picture = pictures[k];
                using var image = SKImage.FromBitmap(picture);
                canvas.DrawImage(image, new SKRect(x + (Tile - Picture) / 2, y, x + (Tile + Picture) / 2, y + Picture), nearest);
                var name = Path.GetFileName(evaluation.Folder.Rows[i].ImagePath);
                canvas.DrawText(Plots.Shorten(name, 18), x + 4, y + Picture + LineHeight, SKTextAlign.Left, font, black);
                canvas.DrawText(Plots.Shorten($"true: {evaluation.Folder.ClassOf(evaluation.Labels[i])}", 18), x + 4, y + Picture + 2 * LineHeight, SKTextAlign.Left, font, black);
                canvas.DrawText(Plots.Shorten(string.Create(CultureInfo.InvariantCulture,
                    $"said: {evaluation.Folder.ClassOf(evaluation.Predicted[i])} p={evaluation.Probabilities[i]:0.000}"), 20), x + 4, y + Picture + 3 * LineHeight, SKTextAlign.Left, font, red);
            }
        }
        using var data = sheet.Encode(SKEncodedImageFormat.Png, 100);
        AtomicFile.Write(path, stream => data.SaveTo(stream), createFolder: true);
    }

    private static SKPaint Ink(SKColor color) => new() { Color = color, IsAntialias = true };

    // The network's input for each row (the model's image steps applied), as a bitmap: grey, or colour from R, G, B planes.
    private static SKBitmap[] Seen(MLContext ml, ITransformer model, ImageRow[] rows, ImageGeometry geometry)
    {
        if (rows.Length == 0)
            return [];
        var scored = model.Transform(ImagePipeline.Load(ml, rows));
        // GetColumn reuses one buffer: copy each row's values out as it comes.
        var features = scored.GetColumn<VBuffer<float>>(scored.Schema[model.FindCnn().FeatureColumnName]).Select(v => v.DenseValues().ToArray()).ToArray();
        var plane = geometry.Height * geometry.Width;
        return features.Select(values =>
        {
            // Show the pixels as 0–1 values; features scaled otherwise are stretched to their own range.
            var (low, high) = values.Length == 0 ? (0f, 1f) : (Math.Min(0, values.Min()), Math.Max(1, values.Max()));
            var bitmap = new SKBitmap(geometry.Width, geometry.Height, SKColorType.Rgba8888, SKAlphaType.Opaque);
            for (var p = 0; p < plane; p++)
            {
                byte Level(int channel) => (byte)Math.Clamp((int)Math.Round(255 * (values[Math.Min(channel, geometry.Channels - 1) * plane + p] - low) / (high - low)), 0, 255);
                bitmap.SetPixel(p % geometry.Width, p / geometry.Width, new SKColor(Level(0), Level(1), Level(2)));
            }
            return bitmap;
        }).ToArray();
    }
}
