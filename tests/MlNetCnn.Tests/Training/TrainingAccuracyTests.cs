using Microsoft.ML;
using MlNetCnn.Tests.Support;

namespace MlNetCnn.Tests.Training;

/// <summary>EpochRecord.TrainingAccuracy: the running accuracy over an epoch's training batches, beside validation's.</summary>
public sealed class TrainingAccuracyTests
{
    private readonly MLContext ml = new(seed: 1);

    [Fact]
    public void Training_accuracy_is_a_share_of_the_epochs_images_and_rises_as_the_network_learns()
    {
        var options = SyntheticImages.FastOptions(epochs: 4);
        options.ValidationSet = SyntheticImages.DataView(ml, 40, 2);
        var log = new LogCapture(ml);
        using var t = new CnnEstimator(ml, options).Fit(SyntheticImages.DataView(ml, 160, 1));

        // 160 images in batches of 16: each epoch judges all 160, so the accuracy is a whole number of 160ths.
        Assert.All(t.Report.History, r => Assert.Equal(Math.Round(r.TrainingAccuracy * 160), r.TrainingAccuracy * 160, 9));
        Assert.True(t.Report.History[^1].TrainingAccuracy >= 0.9, $"last epoch's training accuracy {t.Report.History[^1].TrainingAccuracy}");
        Assert.True(t.Report.History[^1].TrainingAccuracy > t.Report.History[0].TrainingAccuracy,
            $"training accuracy {string.Join(", ", t.Report.History.Select(r => r.TrainingAccuracy))}");
        Assert.Contains(log.Infos, l => l.StartsWith("Epoch 4/4: training loss", StringComparison.Ordinal)
            && l.Contains($"training accuracy {t.Report.History[^1].TrainingAccuracy:F4}", StringComparison.Ordinal));
    }

    [Fact]
    public void Training_accuracy_uses_the_threshold_as_the_transformer_does()
    {
        // At a threshold of 0 every image is predicted positive, so the training accuracy is the positive share (a half).
        var options = SyntheticImages.FastOptions(epochs: 1);
        options.Threshold = 0;
        using var t = new CnnEstimator(ml, options).Fit(SyntheticImages.DataView(ml, 96, 1));

        Assert.Equal(0.5, t.Report.History[0].TrainingAccuracy);
    }
}
