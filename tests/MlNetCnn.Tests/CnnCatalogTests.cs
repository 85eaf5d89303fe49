using Microsoft.ML;
using MlNetCnn.Tests.Support;

namespace MlNetCnn.Tests;

public sealed class CnnCatalogTests
{
    [Fact]
    public void The_catalog_entry_trains_like_the_estimator_and_honours_the_contexts_seed_and_log()
    {
        float[] Train(int contextSeed, List<string>? log = null)
        {
            var ml = new MLContext(seed: contextSeed);
            if (log is not null)
                ml.Log += (_, e) => { if (e.Source.Contains("CnnEstimator")) lock (log) log.Add(e.RawMessage); };
            var options = SyntheticImages.FastOptions(epochs: 1);
            options.Seed = null; // take it from the context
            var estimator = ml.BinaryClassification.Trainers.Cnn(options);
            using var t = estimator.Fit(SyntheticImages.DataView(ml, 64, 1));
            return Scores.Column(t.Transform(SyntheticImages.DataView(ml, 10, 2)));
        }

        var log = new List<string>();
        var first = Train(5, log);
        Assert.Equal(first, Train(5));
        Assert.NotEqual(first, Train(6));
        Assert.Contains(log, l => l.StartsWith("Epoch 1/1", StringComparison.Ordinal));
    }

    [Fact]
    public void The_flat_overload_sets_the_named_options()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(SyntheticImages.Rows(8, 1).Select(r => new { IsBoot = r.Label, Pixels = r.Features }));

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => ml.BinaryClassification.Trainers.Cnn(labelColumnName: "IsBoot", featureColumnName: "Pixels").Fit(data));

        // The label and feature names were taken: the complaint is about the type of 'Pixels', not a missing column.
        Assert.Contains("Column 'Pixels' is a variable-size vector", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => ml.BinaryClassification.Trainers.Cnn(epochs: 0));
    }
}
