using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetCnn.Diagnostics;

namespace MlNetCnn.Bench;

/// <summary>What one pipeline Fit took: all of it, and the part the trainer's epoch records account for.</summary>
internal sealed record FitTiming(double Seconds, double EpochSeconds)
{
    /// <summary>Fit time outside the epochs: reading the data view (decoding, resizing, extracting, copying) and setup.</summary>
    public double ReadSeconds => Seconds - EpochSeconds;
}

/// <summary>Rows (b) and the Transform rows of (d): the library used as an ML.NET user would.</summary>
internal static class PipelineRuns
{
    // The comparison rows time training, so the one-time learnability check (CNN008) is off there; the pipeline Fit
    // with the defaults (check on) is a row of its own beside them, and the check's cost per Fit is measured alone too.
    public static CnnOptions Options(int epochs, int batchSize, IProgress<TrainingProgress>? progress = null, bool checkLearnable = false,
        Precision precision = CnnOptions.DefaultPrecision) =>
        new() { Epochs = epochs, BatchSize = batchSize, Seed = 1, Progress = progress, CheckLearnable = checkLearnable, Precision = precision };

    /// <summary>Seconds the default learnability check adds to one Fit: a Fit with it minus a Fit without it, same data.</summary>
    public static double CheckCost(ImageSet set, int batchSize)
    {
        double Fit(bool check)
        {
            var ml = new MLContext(seed: 1);
            var rows = set.FeatureView(ml);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            new CnnEstimator(ml, Options(1, batchSize, checkLearnable: check)).Fit(rows).Dispose();
            return clock.Elapsed.TotalSeconds;
        }
        return Fit(true) - Fit(false);
    }

    /// <summary>LoadImages → ResizeImages → ExtractPixels → CnnEstimator, fitted over the PNG rows (the learnability check off unless asked).</summary>
    public static (TransformerChain<CnnTransformer> Model, FitTiming Timing) FitFromPng(ImageSet set, int epochs, int batchSize, int? take = null,
        IProgress<TrainingProgress>? progress = null, bool checkLearnable = false, Precision precision = CnnOptions.DefaultPrecision, MLContext? context = null)
    {
        var ml = context ?? new MLContext(seed: 1);
        var rows = set.RowsView(ml, take);
        var pipeline = ImageSet.ImageStages(ml, set.Side).Append(new CnnEstimator(ml, Options(epochs, batchSize, progress, checkLearnable, precision)));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var model = pipeline.Fit(rows);
        var seconds = clock.Elapsed.TotalSeconds;
        return (model, new FitTiming(seconds, model.LastTransformer.Report.History.Sum(r => r.Seconds)));
    }

    /// <summary>CnnEstimator alone over the already-extracted pixels: the pipeline without image decoding.</summary>
    public static (CnnTransformer Model, FitTiming Timing) FitFromMemory(ImageSet set, int epochs, int batchSize, Precision precision = CnnOptions.DefaultPrecision,
        int? take = null, MLContext? context = null)
    {
        var ml = context ?? new MLContext(seed: 1);
        var rows = set.FeatureView(ml, take);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var model = new CnnEstimator(ml, Options(epochs, batchSize, precision: precision)).Fit(rows);
        var seconds = clock.Elapsed.TotalSeconds;
        return (model, new FitTiming(seconds, model.Report.History.Sum(r => r.Seconds)));
    }

    /// <summary>Reads Score, Probability and PredictedLabel of every row of <paramref name="scored"/>; returns rows read.</summary>
    public static int Consume(IDataView scored)
    {
        var columns = new[] { scored.Schema[CnnTransformer.ScoreColumnName], scored.Schema[CnnTransformer.ProbabilityColumnName], scored.Schema[CnnTransformer.PredictedLabelColumnName] };
        using var cursor = scored.GetRowCursor(columns);
        var score = cursor.GetGetter<float>(columns[0]);
        var probability = cursor.GetGetter<float>(columns[1]);
        var predicted = cursor.GetGetter<bool>(columns[2]);
        float s = 0, p = 0;
        var l = false;
        var rows = 0;
        while (cursor.MoveNext())
        {
            score(ref s);
            probability(ref p);
            predicted(ref l);
            rows++;
        }
        return rows;
    }
}
