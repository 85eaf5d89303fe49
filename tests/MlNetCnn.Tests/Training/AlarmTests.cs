using Microsoft.ML;
using MlNetCnn.Diagnostics;
using MlNetCnn.Tests.Support;

namespace MlNetCnn.Tests.Training;

/// <summary>Each alarm from a scenario built to cause it; a healthy run raises none.</summary>
public sealed class AlarmTests
{
    private readonly MLContext ml = new(seed: 1);

    private static IDataView Rows(MLContext ml, IEnumerable<ImageRow> rows) => ml.Data.LoadFromEnumerable(rows.ToList());

    private static CnnOptions Options(IDataView? validation, int epochs = 3)
    {
        var options = SyntheticImages.FastOptions(epochs);
        options.ValidationSet = validation;
        return options;
    }

    [Fact]
    public void A_healthy_run_raises_no_alarm_and_logs_no_warning()
    {
        var log = new LogCapture(ml);
        using var t = new CnnEstimator(ml, Options(SyntheticImages.DataView(ml, 60, 2))).Fit(SyntheticImages.DataView(ml, 160, 1));

        Assert.Empty(t.Report.Alarms);
        Assert.Empty(log.Warnings);
        Assert.Empty(log.Errors);
        Assert.Contains(log.Infos, l => l.StartsWith("Learnability check", StringComparison.Ordinal));
    }

    [Fact]
    public void CNN001_collapsed_predictions_when_every_validation_image_gets_the_same_answer()
    {
        // Blank validation images: the network can only give them all one probability.
        var blank = SyntheticImages.Rows(40, 2).Select(r => new ImageRow { Label = r.Label, Features = new float[r.Features.Length] });
        using var t = new CnnEstimator(ml, Options(Rows(ml, blank))).Fit(SyntheticImages.DataView(ml, 160, 1));

        var alarm = Assert.Single(t.Report.Alarms, a => a.Code == AlarmCodes.CollapsedPredictions);
        Assert.StartsWith("CNN001 collapsed predictions", alarm.Message);
        Assert.Equal(AlarmSeverity.Warning, alarm.Severity);
    }

    [Fact]
    public void CNN002_loss_falls_but_accuracy_stays_at_the_majority_rate()
    {
        // Validation labels that do not mean what the training labels mean (here: unrelated to the images). The network
        // learns, so training loss falls, but validation accuracy stays at the majority-class rate.
        var random = new Random(3);
        var mislabelled = SyntheticImages.Rows(200, 2).Select(r => new ImageRow { Label = random.Next(2) == 0, Features = r.Features });
        using var t = new CnnEstimator(ml, Options(Rows(ml, mislabelled), epochs: 4)).Fit(SyntheticImages.DataView(ml, 160, 1));

        var alarm = Assert.Single(t.Report.Alarms, a => a.Code == AlarmCodes.LossFallsAccuracyDoesNot);
        Assert.StartsWith("CNN002 loss falls, accuracy does not", alarm.Message);
        Assert.Contains("argmax", alarm.Message);
        Assert.True(t.Report.History[^1].TrainingLoss < t.Report.History[0].TrainingLoss);
    }

    [Fact]
    public void CNN003_inverted_labels_when_validation_auc_is_far_below_a_half()
    {
        var inverted = SyntheticImages.Rows(60, 2).Select(r => new ImageRow { Label = !r.Label, Features = r.Features });
        var log = new LogCapture(ml);
        using var t = new CnnEstimator(ml, Options(Rows(ml, inverted))).Fit(SyntheticImages.DataView(ml, 160, 1));

        var alarm = Assert.Single(t.Report.Alarms, a => a.Code == AlarmCodes.InvertedLabels);
        Assert.StartsWith("CNN003 inverted labels", alarm.Message);
        Assert.Contains(log.Warnings, w => w.StartsWith("CNN003", StringComparison.Ordinal));
    }

    [Fact]
    public void CNN004_divergence_stops_training_naming_epoch_batch_and_causes()
    {
        var options = Options(null, epochs: 2);
        options.LearningRate = 1e30;
        options.CheckLearnable = false;
        var error = Assert.Throws<CnnTrainingException>(() => new CnnEstimator(ml, options).Fit(SyntheticImages.DataView(ml, 96, 1)));

        Assert.Equal(AlarmCodes.Diverged, error.Alarm.Code);
        Assert.Equal(AlarmSeverity.Error, error.Alarm.Severity);
        Assert.Matches(@"^CNN004 diverged: the loss became (NaN|∞|-∞|Infinity|-Infinity) at epoch 1, batch \d+ of 6\.", error.Message);
        Assert.Contains($"a learning rate too high ({options.LearningRate:G3}: try 10 times lower)", error.Message);
        Assert.Contains("scaleImage", error.Message);
    }

    [Fact]
    public void CNN004_is_caught_by_the_learnability_check_before_the_first_epoch()
    {
        var options = Options(null, epochs: 2);
        options.LearningRate = 1e30;
        var error = Assert.Throws<CnnTrainingException>(() => new CnnEstimator(ml, options).Fit(SyntheticImages.DataView(ml, 96, 1)));

        Assert.Equal(AlarmCodes.Diverged, error.Alarm.Code);
        Assert.Contains("learnability check", error.Message);
        Assert.Contains($"a learning rate too high ({options.LearningRate:G3}: try 10 times lower)", error.Message);
        Assert.Empty(error.History);
    }

    [Fact]
    public void CNN005_unscaled_input_when_pixels_are_left_at_0_to_255()
    {
        var unscaled = SyntheticImages.Rows(96, 1).Select(r => new ImageRow { Label = r.Label, Features = r.Features.Select(v => MathF.Round(v * 255)).ToArray() });
        var log = new LogCapture(ml);
        using var t = new CnnEstimator(ml, Options(null, epochs: 1)).Fit(Rows(ml, unscaled));

        var alarm = Assert.Single(t.Report.Alarms, a => a.Code == AlarmCodes.UnscaledInput);
        Assert.StartsWith("CNN005 unscaled input: pixel values reach 255", alarm.Message);
        Assert.Contains(log.Warnings, w => w.StartsWith("CNN005", StringComparison.Ordinal));
    }

    [Fact]
    public void CNN006_and_CNN008_when_every_image_is_blank()
    {
        var blank = SyntheticImages.Rows(64, 1).Select(r => new ImageRow { Label = r.Label, Features = new float[r.Features.Length] });
        var log = new LogCapture(ml);
        var error = Assert.Throws<CnnTrainingException>(() => new CnnEstimator(ml, Options(null)).Fit(Rows(ml, blank)));

        Assert.Equal(AlarmCodes.NotLearnable, error.Alarm.Code);
        Assert.StartsWith("CNN008 not learnable", error.Message);
        Assert.Contains(log.Warnings, w => w.StartsWith("CNN006 no variance: all 64 training images are identical", StringComparison.Ordinal));
        Assert.Contains(log.Errors, e => e.StartsWith("CNN008", StringComparison.Ordinal));
    }

    [Fact]
    public void CNN007_validation_with_one_class_reports_auc_undefined_instead_of_crashing()
    {
        using var t = new CnnEstimator(ml, Options(SyntheticImages.DataView(ml, 20, 2, onlyLabel: true), epochs: 2)).Fit(SyntheticImages.DataView(ml, 96, 1));

        var alarm = Assert.Single(t.Report.Alarms, a => a.Code == AlarmCodes.OneClass);
        Assert.Contains("AUC is undefined", alarm.Message);
        Assert.All(t.Report.History, h => Assert.True(double.IsNaN(h.Validation!.Auc)));
    }

    [Fact]
    public void A_warning_named_in_AlarmsAsErrors_stops_training()
    {
        var unscaled = SyntheticImages.Rows(64, 1).Select(r => new ImageRow { Label = r.Label, Features = r.Features.Select(v => v * 255).ToArray() });
        var options = Options(null, epochs: 1);
        options.AlarmsAsErrors.Add(AlarmCodes.UnscaledInput);

        var error = Assert.Throws<CnnTrainingException>(() => new CnnEstimator(ml, options).Fit(Rows(ml, unscaled)));

        Assert.Equal(AlarmCodes.UnscaledInput, error.Alarm.Code);
        Assert.Equal(AlarmSeverity.Error, error.Alarm.Severity);
        Assert.Throws<ArgumentException>(() => new CnnEstimator(ml, new CnnOptions { AlarmsAsErrors = new HashSet<string> { "CNN999" } }));
    }
}
