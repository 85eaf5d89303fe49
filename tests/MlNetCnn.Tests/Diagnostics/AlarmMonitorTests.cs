using MlNetCnn.Diagnostics;

namespace MlNetCnn.Tests.Diagnostics;

/// <summary>CNN010's rules on plain records: each sign alone raises it, a healthy epoch does not, and it is raised once.</summary>
public sealed class AlarmMonitorTests
{
    private const string Advice = "The learning rate is likely far too high: CnnOptions.LearningRate = 7.";
    private static readonly double Untrained = Math.Log(2);

    private static BinaryMetrics Validation(double loss, double positiveRate) => new(100, loss, 0.5, 0.5, loss / Math.Log(2), positiveRate, 0.5, 0.2, 50);

    private static EpochRecord Epoch(int epoch, BinaryMetrics? validation, double trainingLoss = 0.5) => new(epoch, trainingLoss, validation, 7, 1, 100, []);

    private static LossPeak Peak(double loss) => new(loss, 3, 32, Untrained);

    private static IReadOnlyList<Alarm> After(AlarmMonitor monitor, EpochRecord current, LossPeak peak, params EpochRecord[] before) =>
        monitor.AfterEpoch(before, current, epochs: 5, peak, Advice);

    [Fact]
    public void A_healthy_epoch_raises_nothing_even_near_the_untrained_loss()
    {
        Assert.Empty(After(new AlarmMonitor(), Epoch(1, Validation(0.70, 0.3)), Peak(0.76)));
    }

    [Fact]
    public void A_training_loss_window_above_four_times_ln_2_raises_CNN010_with_the_numbers_and_the_advice()
    {
        var alarm = Assert.Single(After(new AlarmMonitor(), Epoch(2, Validation(0.5, 0.5), trainingLoss: 0.9), Peak(4 * Untrained + 0.01), Epoch(1, Validation(0.5, 0.5))));

        Assert.Equal((AlarmCodes.Unstable, 2), (alarm.Code, alarm.Epoch));
        Assert.Equal("CNN010 unstable training: after epoch 2, the training loss reached 2.783 (mean over the 32 images up to batch 3; the epoch's mean 0.9), " +
            "where an untrained network's loss is about 0.693 (ln 2 per image; more than 4 times that is far off). " + Advice, alarm.Message);
        Assert.Empty(After(new AlarmMonitor(), Epoch(2, Validation(0.5, 0.5)), Peak(4 * Untrained - 0.01)));
    }

    [Fact]
    public void A_validation_loss_above_four_times_ln_2_raises_CNN010()
    {
        var alarm = Assert.Single(After(new AlarmMonitor(), Epoch(1, Validation(3.0, 0.4)), Peak(0.6)));

        Assert.Contains("the validation loss was 3,", alarm.Message);
        Assert.Empty(After(new AlarmMonitor(), Epoch(1, Validation(2.7, 0.4)), Peak(0.6)));
    }

    [Fact]
    public void Predictions_that_swing_from_all_positive_to_all_negative_raise_CNN010()
    {
        var alarm = Assert.Single(After(new AlarmMonitor(), Epoch(3, Validation(0.69, 0.0)), Peak(0.6), Epoch(2, Validation(0.69, 1.0))), a => a.Code == AlarmCodes.Unstable);

        Assert.Contains("the validation predictions swung from all positive (epoch 2) to all negative", alarm.Message);
        // One-sided twice in a row is collapse (CNN001), not a swing.
        Assert.DoesNotContain(After(new AlarmMonitor(), Epoch(3, Validation(0.69, 0.0)), Peak(0.6), Epoch(2, Validation(0.69, 0.0))), a => a.Code == AlarmCodes.Unstable);
    }

    [Fact]
    public void CNN010_is_raised_once_per_run()
    {
        var monitor = new AlarmMonitor();
        Assert.Single(After(monitor, Epoch(1, null), Peak(10)));
        Assert.Empty(After(monitor, Epoch(2, null), Peak(10), Epoch(1, null)));
    }
}
