using Microsoft.ML;
using MlNetCnn.Tests.Support;

namespace MlNetCnn.Tests;

public sealed class CnnCatalogTests
{
    [Fact]
    public void The_catalog_entry_trains_exactly_like_the_estimator_with_the_contexts_seed_and_logs_to_the_context()
    {
        var train = SyntheticImages.Rows(64, 1);
        var test = SyntheticImages.Rows(10, 2);
        float[] Train(MLContext ml, IEstimator<CnnTransformer> estimator)
        {
            using var t = estimator.Fit(ml.Data.LoadFromEnumerable(train));
            return Scores.Column(t.Transform(ml.Data.LoadFromEnumerable(test)));
        }

        var seedLine = new System.Text.RegularExpressions.Regex(@", seed (\d+),");
        (float[] Scores, int Seed, List<string> Log) Catalog(int contextSeed)
        {
            var ml = new MLContext(seed: contextSeed);
            var log = new List<string>();
            ml.Log += (_, e) => { if (e.Source.Contains("CnnEstimator")) lock (log) log.Add(e.RawMessage); };
            var options = SyntheticImages.FastOptions(epochs: 1);
            options.Seed = null; // take it from the context
            var scores = Train(ml, ml.BinaryClassification.Trainers.Cnn(options));
            var seed = int.Parse(seedLine.Match(Assert.Single(log, l => seedLine.IsMatch(l))).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            return (scores, seed, log);
        }

        var catalog = Catalog(5);
        // The estimator given the seed the run drew (and logged), in a context seeded otherwise, trains the very same model ...
        var other = new MLContext(seed: 99);
        Assert.Equal(Train(other, new CnnEstimator(other, SyntheticImages.FastOptions(epochs: 1, seed: catalog.Seed))), catalog.Scores);
        // ... and that seed is the context's: another context draws another.
        Assert.NotEqual(catalog.Seed, Catalog(6).Seed);
        Assert.Contains(catalog.Log, l => l.StartsWith("Epoch 1/1", StringComparison.Ordinal));
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
