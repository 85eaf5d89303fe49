using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.ML;
using MlNetCnn.Tests.Support;
using MlNetCnn.Training;

namespace MlNetCnn.Tests.Training;

public sealed partial class TimeBudgetTests
{
    private sealed class StopAfter(int epoch) : ITrainingCallback
    {
        public void OnEpochEnd(TrainingContext context)
        {
            if (context.Epoch == epoch)
                context.RequestStop();
        }
    }

    private sealed class Watch : ITrainingCallback
    {
        public List<(int Epoch, int Epochs, TimeSpan? Left)> Epochs { get; } = [];

        public void OnEpochEnd(TrainingContext context) => Epochs.Add((context.Epoch, context.Epochs, context.TimeLeft));
    }

    private const int Rows = 96;
    private const int ValidationRows = 32;

    private static (CnnTransformer Model, LogCapture Log, TimeSpan Took) Fit(CnnOptions options, int rows = Rows)
    {
        var ml = new MLContext(seed: 1);
        var log = new LogCapture(ml);
        options.Threads = 1;
        options.ValidationSet = SyntheticImages.DataView(ml, ValidationRows, seed: 5);
        options.LearningRateSchedule = LearningRateSchedule.Cosine;
        var clock = Stopwatch.StartNew();
        var model = new CnnEstimator(ml, options).Fit(SyntheticImages.DataView(ml, rows, seed: 3));
        return (model, log, clock.Elapsed);
    }

    private static CnnOptions Budget(TimeSpan time)
    {
        var options = new CnnOptions
        {
            TrainingTime = time,
            BatchSize = 16,
            LearningRate = 3e-3,
            Seed = 1,
            Network = SyntheticImages.SmallNetwork,
        };
        Assert.False(options.EpochsGiven);
        return options;
    }

    private static int FixedEpochs(LogCapture log)
    {
        var line = Assert.Single(log.Infos, l => l.StartsWith("Time budget", StringComparison.Ordinal) && l.Contains("Fixed", StringComparison.Ordinal));
        return int.Parse(FixedPattern().Match(line).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"Fixed (\d+) epochs")]
    private static partial Regex FixedPattern();

    [Fact]
    public void A_budget_of_a_few_seconds_is_held_within_ten_percent()
    {
        // The process's one-off costs (loading libtorch, first kernels) are a first Fit's, not the budget's to plan for.
        Fit(SyntheticImages.FastOptions(epochs: 1)).Model.Dispose();
        var budget = TimeSpan.FromSeconds(6);
        var watch = new Watch();
        var options = Budget(budget);
        options.Callbacks.Add(watch);
        var (model, log, took) = Fit(options, rows: 256);
        using (model)
        {
            var epochs = FixedEpochs(log);
            var said = string.Join("\n", log.Infos.Concat(log.Warnings));
            Assert.True(epochs >= 4, $"only {epochs} epochs fixed for a {budget.TotalSeconds} s budget:\n{said}");
            // Never beyond the tolerance: the guard stops a run whose epochs turn slower.
            Assert.True(took.TotalSeconds <= budget.TotalSeconds * (1 + TimeBudgetCallback.Tolerance), $"Fit took {took.TotalSeconds:F2} s:\n{said}");
            var stopped = log.Warnings.Any(w => w.Contains("so that Fit ends within the budget", StringComparison.Ordinal));
            if (stopped)
                Assert.True(model.Report.History.Count < epochs);
            else
            {
                Assert.Equal(epochs, model.Report.History.Count);
                // Not short of it either, once the machine's change of speed after epoch 1 is taken out (on a machine
                // shared with other work, later epochs can run at half or twice epoch 1's pace): the plan's own error.
                var planned = double.Parse(EpochPattern().Match(said).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
                var drift = model.Report.History.Skip(1).Sum(r => r.Seconds) - (model.Report.History.Count - 1) * planned;
                Assert.True(Math.Abs(took.TotalSeconds - drift - budget.TotalSeconds) <= budget.TotalSeconds * TimeBudgetCallback.Tolerance,
                    $"Fit took {took.TotalSeconds:F2} s, the later epochs {drift:F2} s more than planned:\n{said}");
            }
            // Every epoch after the first knows the fixed count, and the time left falls.
            Assert.All(watch.Epochs.Skip(1), e => Assert.Equal(epochs, e.Epochs));
            Assert.Equal(epochs, watch.Epochs[0].Epochs);
            Assert.True(watch.Epochs.Zip(watch.Epochs.Skip(1)).All(p => p.First.Left >= p.Second.Left));
            Assert.Contains(log.Infos, l => l.StartsWith("Fit took", StringComparison.Ordinal) && l.Contains("of a 6 s time budget", StringComparison.Ordinal));
        }
    }

    [GeneratedRegex(@"an epoch takes about ([0-9.]+) s")]
    private static partial Regex EpochPattern();

    [Fact]
    public void The_epochs_a_budget_fixes_are_logged_and_a_run_told_them_gives_the_same_model_bit_for_bit()
    {
        var (budgeted, log, _) = Fit(Budget(TimeSpan.FromSeconds(2)));
        using (budgeted)
        {
            var epochs = FixedEpochs(log);
            var rerun = SyntheticImages.FastOptions(epochs);
            rerun.Network = SyntheticImages.SmallNetwork;
            // Should the guard have stopped the budgeted run early, the rerun stops where it did.
            rerun.Callbacks.Add(new StopAfter(budgeted.Report.History.Count));
            var (told, _, _) = Fit(rerun);
            using (told)
            {
                Assert.Equal(budgeted.Report.History.Select(r => r.TrainingLoss), told.Report.History.Select(r => r.TrainingLoss));
                Assert.Equal(budgeted.Report.History.Select(r => r.LearningRate), told.Report.History.Select(r => r.LearningRate));
                var data = SyntheticImages.DataView(new MLContext(seed: 1), 32, seed: 9);
                Assert.Equal(Scores.Column(budgeted.Transform(data)), Scores.Column(told.Transform(data)));
            }
        }
    }

    [Fact]
    public void Epochs_set_explicitly_win_over_the_budget_and_train_as_without_one_bit_for_bit()
    {
        var withBudget = SyntheticImages.FastOptions(epochs: 3);
        withBudget.TrainingTime = TimeSpan.FromMinutes(10);
        var (a, log, took) = Fit(withBudget);
        var (b, _, _) = Fit(SyntheticImages.FastOptions(epochs: 3));
        using (a)
        using (b)
        {
            Assert.Equal(3, a.Report.History.Count);
            Assert.True(took < TimeSpan.FromMinutes(1));
            Assert.Contains(log.Infos, l => l.Contains("Epochs = 3 given: the time budget (TrainingTime) is not used.", StringComparison.Ordinal));
            Assert.DoesNotContain(log.Infos, l => l.StartsWith("Time budget", StringComparison.Ordinal));
            var data = SyntheticImages.DataView(new MLContext(seed: 1), 32, seed: 9);
            Assert.Equal(Scores.Column(b.Transform(data)), Scores.Column(a.Transform(data)));
            Assert.Equal(b.Report.History.Select(r => r.TrainingLoss), a.Report.History.Select(r => r.TrainingLoss));
        }
    }

    [Theory]
    // budget, epoch 1's end, epoch seconds, reserve → epochs
    [InlineData(100, 10, 3, 1, 31)]   // room 89: 29 more end at 97 + 1 = 98 (2 under); 30 more at 101 (1 over, within 5): the nearer
    [InlineData(100, 10, 9, 1, 11)]   // room 89: 9 more end 2 s under; 10 more would be 7 s over (beyond 5 %)
    [InlineData(100, 99, 3, 1, 1)]    // no room after epoch 1
    [InlineData(100, 120, 3, 1, 1)]   // epoch 1 already overran
    public void The_epochs_that_fit_are_the_count_whose_end_is_nearest_the_budget(double budget, double elapsed, double epoch, double reserve, int expected) =>
        Assert.Equal(expected, TimeBudgetCallback.Fit(budget, elapsed, epoch, reserve));

    [Fact]
    public void A_budget_that_is_not_positive_or_a_resume_without_epochs_is_refused()
    {
        var zero = new CnnOptions { TrainingTime = TimeSpan.Zero };
        Assert.Equal(nameof(CnnOptions.TrainingTime), Assert.Throws<ArgumentOutOfRangeException>(zero.Validate).ParamName);
        var resume = new CnnOptions { TrainingTime = TimeSpan.FromMinutes(1), CheckpointFolder = "x", ResumeFromCheckpoint = true };
        Assert.Contains("fixed N epochs", Assert.Throws<ArgumentException>(resume.Validate).Message);
        resume.Epochs = 12;
        resume.Validate();
    }
}
