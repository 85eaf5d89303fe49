using MlNetCnn.Cli.Output;
using MlNetCnn.Diagnostics;
using OxyPlot;
using OxyPlot.Annotations;
using OxyPlot.Axes;
using OxyPlot.Legends;
using OxyPlot.Series;
using SkiaSharp;
using MlNetCnn.Persistence;

namespace MlNetCnn.Cli.Reporting;

/// <summary>The two PNG plots: learning curves (loss and accuracy per epoch) and the ROC curve. Rendered by OxyPlot on SkiaSharp.</summary>
internal static class Plots
{
    /// <summary>Font every plot uses; DejaVu ships with most Linux systems, and Skia falls back when it is missing.</summary>
    public const string Font = "DejaVu Sans";
    private const int PanelWidth = 640;
    private const int PanelHeight = 480;

    /// <summary>Colour of the training curves.</summary>
    public static readonly OxyColor TrainingColor = OxyColor.FromRgb(0x1f, 0x77, 0xb4);
    /// <summary>Colour of the validation curves.</summary>
    public static readonly OxyColor ValidationColor = OxyColor.FromRgb(0xd6, 0x27, 0x28);
    /// <summary>Colour of the best-epoch marker (curves.png) and of the suggested rate (lr-find.png).</summary>
    public static readonly OxyColor MarkerColor = OxyColor.FromRgb(0x2c, 0xa0, 0x2c);

    /// <summary>
    /// Writes <paramref name="path"/>: left, training and validation loss per epoch; right, training accuracy (running,
    /// over the epoch's augmented batches) beside validation accuracy per epoch, against the majority-class baseline, on
    /// a 0–1 axis so that a flat or collapsed model is seen as such. A vertical line on both marks
    /// <paramref name="bestEpoch"/>, the epoch whose weights the model holds (none when 0).
    /// </summary>
    public static void WriteCurves(string path, IReadOnlyList<EpochRecord> history, int bestEpoch)
    {
        var loss = NewModel("Loss per epoch");
        AddAxes(loss, "epoch", "binary cross-entropy (nats)", yMinimum: 0, yMaximum: null, history.Count);
        loss.Series.Add(Line("training (mean over the epoch's batches)", TrainingColor, history.Select(r => (r.Epoch, r.TrainingLoss))));
        if (history.Any(r => r.Validation is not null))
            loss.Series.Add(Line("validation (whole set)", ValidationColor, Validated(history, v => v.Loss)));

        var accuracy = NewModel("Accuracy per epoch");
        AddAxes(accuracy, "epoch", "accuracy", yMinimum: 0, yMaximum: 1.02, history.Count);
        if (history.Any(r => !double.IsNaN(r.TrainingAccuracy)))
            accuracy.Series.Add(Line("training (running, augmented batches)", TrainingColor,
                history.Where(r => !double.IsNaN(r.TrainingAccuracy)).Select(r => (r.Epoch, r.TrainingAccuracy))));
        accuracy.Series.Add(Line("validation (whole set)", ValidationColor, Validated(history, v => v.Accuracy)));
        var baseline = Line("majority-class baseline", OxyColors.Gray, Validated(history, v => v.MajorityBaseline));
        baseline.LineStyle = LineStyle.Dash;
        baseline.MarkerType = MarkerType.None;
        accuracy.Series.Add(baseline);
        if (bestEpoch > 0)
        {
            foreach (var panel in new[] { loss, accuracy })
                panel.Annotations.Add(VerticalMarker(bestEpoch, $"best epoch {bestEpoch}"));
        }
        SideBySide(path, loss, accuracy);
    }

    private static LineAnnotation VerticalMarker(double x, string text) => new()
    {
        Type = LineAnnotationType.Vertical,
        X = x,
        Color = MarkerColor,
        StrokeThickness = 2,
        LineStyle = LineStyle.Dash,
        Text = text,
        TextColor = MarkerColor,
        TextOrientation = AnnotationTextOrientation.Horizontal,
        TextVerticalAlignment = VerticalAlignment.Bottom,
    };

    /// <summary>
    /// Writes <paramref name="path"/>: the ROC curve of <paramref name="evaluation"/> with its AUC, the point of the
    /// model's threshold, and the diagonal of a random classifier. The subtitle is shortened in the middle to fit.
    /// </summary>
    public static void WriteRoc(string path, Evaluation evaluation, string subtitle)
    {
        var auc = evaluation.Metrics.AreaUnderRocCurve;
        var model = NewModel($"ROC curve (AUC {auc:F4})");
        model.Subtitle = Shorten(subtitle, RocSubtitleCharacters);
        model.PlotType = PlotType.Cartesian;
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = "false-positive rate", Minimum = 0, Maximum = 1, MajorGridlineStyle = LineStyle.Dot });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Title = "true-positive rate", Minimum = 0, Maximum = 1, MajorGridlineStyle = LineStyle.Dot });
        var chance = new LineSeries { Title = "chance", Color = OxyColors.Gray, LineStyle = LineStyle.Dash };
        chance.Points.Add(new DataPoint(0, 0));
        chance.Points.Add(new DataPoint(1, 1));
        model.Series.Add(chance);
        var roc = new LineSeries { Title = "model", Color = OxyColor.FromRgb(0x1f, 0x77, 0xb4), StrokeThickness = 2 };
        roc.Points.AddRange(RocCurve.Points(evaluation.Probabilities, evaluation.Labels).Select(p => new DataPoint(p.FalsePositiveRate, p.TruePositiveRate)));
        model.Series.Add(roc);
        var (fpr, tpr) = RocCurve.At(evaluation.Probabilities, evaluation.Labels, evaluation.Threshold);
        var point = new ScatterSeries
        {
            Title = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"threshold {evaluation.Threshold:0.###}: FPR {fpr:F3}, TPR {tpr:F3}"),
            MarkerType = MarkerType.Circle, MarkerSize = 6, MarkerFill = OxyColor.FromRgb(0xd6, 0x27, 0x28),
        };
        point.Points.Add(new ScatterPoint(fpr, tpr));
        model.Series.Add(point);
        model.Legends.Add(new Legend { LegendPosition = LegendPosition.RightBottom, LegendBackground = OxyColors.White, LegendBorder = OxyColors.LightGray });
        AtomicFile.Write(path, stream => Export(model, stream, PanelHeight + 40, PanelHeight + 40), createFolder: true);
    }

    /// <summary>Characters of the ROC plot's subtitle that fit its width at the plots' font size.</summary>
    public const int RocSubtitleCharacters = 70;

    /// <summary><paramref name="text"/>, or its start and end joined by "…" so that it is at most <paramref name="characters"/> long.</summary>
    public static string Shorten(string text, int characters)
    {
        if (text.Length <= characters)
            return text;
        var keep = characters - 1;
        return text[..(keep / 2)] + "…" + text[^(keep - keep / 2)..];
    }

    /// <summary>
    /// Writes <paramref name="path"/>: the range test's loss per batch (raw, light) and smoothed against the learning
    /// rate on a log axis, with the suggested rate and the rate of the lowest smoothed loss marked.
    /// </summary>
    public static void WriteLearningRateSearch(string path, LearningRateFinderResult search, string subtitle)
    {
        var model = NewModel($"Learning-rate range test: suggested {search.SuggestedLearningRate:G3}");
        model.Subtitle = subtitle;
        model.Axes.Add(new LogarithmicAxis { Position = AxisPosition.Bottom, Title = "learning rate (log scale)", MajorGridlineStyle = LineStyle.Dot });
        var losses = search.Curve.Select(p => p.Loss).Where(double.IsFinite).ToArray();
        // The raw loss can shoot up at the end; keep the axis on the part that shows the descent.
        var top = Math.Min(losses.Max(), 2 * search.Curve[0].SmoothedLoss);
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Title = "training loss (nats)", Minimum = 0, Maximum = top * 1.05, MajorGridlineStyle = LineStyle.Dot });
        var raw = new LineSeries { Title = "batch loss", Color = OxyColor.FromAColor(90, TrainingColor), StrokeThickness = 1 };
        raw.Points.AddRange(search.Curve.Select(p => new DataPoint(p.LearningRate, p.Loss)));
        model.Series.Add(raw);
        var smoothed = new LineSeries { Title = "smoothed loss", Color = TrainingColor, StrokeThickness = 2 };
        smoothed.Points.AddRange(search.Curve.Select(p => new DataPoint(p.LearningRate, p.SmoothedLoss)));
        model.Series.Add(smoothed);
        var lowest = VerticalMarker(search.MinimumLossLearningRate, $"lowest {search.MinimumLossLearningRate:G3}");
        lowest.Color = lowest.TextColor = OxyColors.Gray;
        lowest.TextHorizontalAlignment = HorizontalAlignment.Left;
        model.Annotations.Add(lowest);
        var suggested = VerticalMarker(search.SuggestedLearningRate, $"suggested {search.SuggestedLearningRate:G3}");
        suggested.TextHorizontalAlignment = HorizontalAlignment.Right;
        model.Annotations.Add(suggested);
        model.Legends.Add(new Legend { LegendPosition = LegendPosition.LeftBottom, LegendBackground = OxyColors.White, LegendBorder = OxyColors.LightGray });
        AtomicFile.Write(path, stream => Export(model, stream, PanelWidth, PanelHeight), createFolder: true);
    }

    private static PlotModel NewModel(string title) => new()
    {
        Title = title,
        DefaultFont = Font,
        DefaultFontSize = 13,
        Background = OxyColors.White,
        PlotAreaBorderColor = OxyColors.Gray,
    };

    private static void AddAxes(PlotModel model, string xTitle, string yTitle, double yMinimum, double? yMaximum, int epochs)
    {
        model.Axes.Add(new LinearAxis
        {
            Position = AxisPosition.Bottom, Title = xTitle, Minimum = 0.5, Maximum = epochs + 0.5,
            MajorStep = Math.Max(1, Math.Ceiling(epochs / 10.0)), MinorStep = 1, MajorGridlineStyle = LineStyle.Dot,
        });
        var y = new LinearAxis { Position = AxisPosition.Left, Title = yTitle, Minimum = yMinimum, MajorGridlineStyle = LineStyle.Dot };
        if (yMaximum is double max)
            y.Maximum = max;
        else
            y.MaximumPadding = 0.1;
        model.Axes.Add(y);
        // Below the plot area, so that no curve is hidden behind it.
        model.Legends.Add(new Legend { LegendPlacement = LegendPlacement.Outside, LegendPosition = LegendPosition.BottomCenter, LegendOrientation = LegendOrientation.Horizontal });
    }

    private static IEnumerable<(int Epoch, double Value)> Validated(IReadOnlyList<EpochRecord> history, Func<BinaryMetrics, double> value) =>
        history.Where(r => r.Validation is not null).Select(r => (r.Epoch, value(r.Validation!)));

    private static LineSeries Line(string title, OxyColor color, IEnumerable<(int Epoch, double Value)> values)
    {
        var series = new LineSeries { Title = title, Color = color, StrokeThickness = 2, MarkerType = MarkerType.Circle, MarkerSize = 3, MarkerFill = color };
        series.Points.AddRange(values.Select(v => new DataPoint(v.Epoch, v.Value)));
        return series;
    }

    private static void Export(PlotModel model, Stream stream, int width, int height) =>
        new OxyPlot.SkiaSharp.PngExporter { Width = width, Height = height }.Export(model, stream);

    private static void SideBySide(string path, PlotModel left, PlotModel right)
    {
        using var canvasBitmap = new SKBitmap(2 * PanelWidth, PanelHeight);
        using (var canvas = new SKCanvas(canvasBitmap))
        {
            canvas.Clear(SKColors.White);
            var x = 0;
            foreach (var panel in new[] { left, right })
            {
                using var png = new MemoryStream();
                Export(panel, png, PanelWidth, PanelHeight);
                png.Position = 0;
                using var bitmap = SKBitmap.Decode(png);
                canvas.DrawBitmap(bitmap, x, 0);
                x += PanelWidth;
            }
        }
        using var data = canvasBitmap.Encode(SKEncodedImageFormat.Png, 100);
        AtomicFile.Write(path, stream => data.SaveTo(stream), createFolder: true);
    }
}
