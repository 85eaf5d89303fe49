using System.IO.Compression;
using Microsoft.ML;
using MlNetCnn.Network;
using MlNetCnn.Persistence;
using MlNetCnn.Tests.Support;

namespace MlNetCnn.Tests.Precisions;

public sealed class MixedPrecisionTrainingTests
{
    private readonly MLContext ml = new(seed: 1);

    private static CnnOptions Options(Precision precision, int epochs = 2)
    {
        var options = SyntheticImages.FastOptions(epochs: epochs);
        options.Precision = precision;
        return options;
    }

    [Fact]
    public void A_bfloat16_fit_learns_and_says_so()
    {
        var log = new LogCapture(ml);
        using var t = new CnnEstimator(ml, Options(Precision.BFloat16, epochs: 3)).Fit(SyntheticImages.DataView(ml, 64, 1));
        var metrics = ml.BinaryClassification.Evaluate(t.Transform(SyntheticImages.DataView(ml, 40, 3)));

        Assert.Contains(log.Infos, l => l.StartsWith("Precision BFloat16 (mixed", StringComparison.Ordinal));
        Assert.True(metrics.Accuracy >= 0.9, $"accuracy {metrics.Accuracy}");
    }

    [Fact]
    public void Bfloat16_runs_are_repeatable_and_differ_from_float32_runs()
    {
        var train = SyntheticImages.DataView(ml, 48, 1);
        var test = SyntheticImages.DataView(ml, 20, 3);
        using var first = new CnnEstimator(ml, Options(Precision.BFloat16)).Fit(train);
        using var second = new CnnEstimator(ml, Options(Precision.BFloat16)).Fit(train);
        using var float32 = new CnnEstimator(ml, Options(Precision.Float32)).Fit(train);

        Assert.Equal(first.Report.History.Select(h => h.TrainingLoss), second.Report.History.Select(h => h.TrainingLoss));
        Assert.Equal(Scores.Column(first.Transform(test)), Scores.Column(second.Transform(test)));
        Assert.NotEqual(first.Report.History.Select(h => h.TrainingLoss), float32.Report.History.Select(h => h.TrainingLoss));
    }

    [Fact]
    public void A_bfloat16_model_is_saved_with_float32_weights_that_bfloat16_could_not_hold()
    {
        using var folder = new TempFolder();
        var train = SyntheticImages.DataView(ml, 48, 1);
        using var t = new CnnEstimator(ml, Options(Precision.BFloat16, epochs: 1)).Fit(train);
        var path = Path.Combine(folder.Path, "model.zip");
        ml.Model.Save(t, train.Schema, path);

        byte[] stored;
        using (var zip = ZipFile.OpenRead(path))
        {
            var entry = zip.Entries.Single(e => e.FullName.EndsWith(CnnModelFormat.WeightsStream, StringComparison.Ordinal));
            using var stream = new MemoryStream();
            entry.Open().CopyTo(stream);
            stored = stream.ToArray();
        }
        // Read checks every tensor is float32; Adam's float32 steps leave low mantissa bits that a bfloat16 copy drops.
        var weights = NetworkWeights.Read(stored);
        var values = weights.Tensors.Where(w => w.Name.EndsWith(".weight", StringComparison.Ordinal)).SelectMany(w => w.Values).ToArray();
        var withLowBits = values.Count(v => (BitConverter.SingleToInt32Bits(v) & 0xFFFF) != 0);
        Assert.True(withLowBits > values.Length / 2, $"{withLowBits} of {values.Length} weights have bits below bfloat16's");
    }

    [Fact]
    public void A_checkpoint_is_resumed_only_in_the_precision_it_was_trained_in()
    {
        using var folder = new TempFolder();
        var train = SyntheticImages.DataView(ml, 48, 1);
        var options = Options(Precision.BFloat16, epochs: 1);
        options.CheckpointFolder = folder.Path;
        using (new CnnEstimator(ml, options).Fit(train)) { }

        var float32 = Options(Precision.Float32, epochs: 2);
        float32.CheckpointFolder = folder.Path;
        float32.ResumeFromCheckpoint = true;
        var error = Assert.Throws<InvalidOperationException>(() => new CnnEstimator(ml, float32).Fit(train));
        Assert.Contains("was trained in BFloat16; this run trains in Float32", error.Message);
        Assert.Contains("Set Precision = BFloat16", error.Message);

        options.Epochs = 2;
        options.ResumeFromCheckpoint = true;
        var log = new LogCapture(ml);
        using var resumed = new CnnEstimator(ml, options).Fit(train);
        Assert.Contains(log.Infos, l => l.StartsWith("Resuming after epoch 1", StringComparison.Ordinal));
        Assert.Equal(new[] { 1, 2 }, resumed.Report.History.Select(h => h.Epoch));
    }
}
