using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetCnn.Diagnostics;
using MlNetCnn.Tests.Support;

namespace MlNetCnn.Tests.Training;

public sealed class TrainingControlTests
{
    private readonly MLContext ml = new(seed: 1);

    [Fact]
    public void Early_stopping_stops_and_restores_the_best_epochs_weights()
    {
        var validation = SyntheticImages.DataView(ml, 40, 2);
        var options = SyntheticImages.FastOptions(epochs: 12);
        options.ValidationSet = validation;
        options.EarlyStoppingPatience = 2;
        options.EarlyStoppingMinDelta = 0;
        options.LearningRate = 0.05; // noisy on purpose, so the best epoch is not the last
        using var t = new CnnEstimator(ml, options).Fit(SyntheticImages.DataView(ml, 96, 1));

        var history = t.Report.History;
        var best = history.MinBy(h => h.Validation!.Loss)!;
        Assert.True(history.Count < 12, "early stopping should have stopped before the last epoch");
        Assert.Equal(best.Epoch, t.Report.BestEpoch);
        Assert.Equal(best.Epoch + 2, history[^1].Epoch);
        Assert.True(best.Epoch < history[^1].Epoch);

        // The transformer holds the best epoch's weights: scored by libtorch, as in training, its validation loss is
        // that epoch's, to the bit.
        using var libTorch = t.WithScoringEngine(ScoringEngine.LibTorch);
        var scores = Scores.Column(libTorch.Transform(validation));
        var labels = validation.GetColumn<bool>("Label").ToArray();
        Assert.Equal(best.Validation!.Loss, BinaryMetrics.Compute(scores, labels, 0.5f).Loss);
    }

    [Fact]
    public void A_resumed_run_continues_where_it_stopped_and_ends_where_an_unbroken_run_does()
    {
        using var folder = new TempFolder();
        var train = SyntheticImages.DataView(ml, 96, 1);
        var test = SyntheticImages.DataView(ml, 30, 3);

        var unbroken = SyntheticImages.FastOptions(epochs: 4);
        unbroken.RandomHorizontalFlip = true;
        unbroken.CheckpointFolder = Path.Combine(folder.Path, "a");
        using var whole = new CnnEstimator(ml, unbroken).Fit(train);

        using var cancel = new CancellationTokenSource();
        var broken = SyntheticImages.FastOptions(epochs: 4);
        broken.RandomHorizontalFlip = true;
        broken.CheckpointFolder = Path.Combine(folder.Path, "b");
        broken.CancellationToken = cancel.Token;
        broken.Progress = new Progress(p => { if (p.Completed?.Epoch == 2) cancel.Cancel(); });
        Assert.Throws<OperationCanceledException>(() => new CnnEstimator(ml, broken).Fit(train));
        Assert.True(Directory.Exists(Path.Combine(folder.Path, "b", "epoch-0002")));

        var resumed = SyntheticImages.FastOptions(epochs: 4);
        resumed.RandomHorizontalFlip = true;
        resumed.CheckpointFolder = broken.CheckpointFolder;
        resumed.ResumeFromCheckpoint = true;
        var log = new LogCapture(ml);
        using var rest = new CnnEstimator(ml, resumed).Fit(train);

        Assert.Contains(log.Infos, l => l.StartsWith("Resuming after epoch 2", StringComparison.Ordinal));
        Assert.Equal(new[] { 1, 2, 3, 4 }, rest.Report.History.Select(h => h.Epoch));
        Assert.Equal(whole.Report.History.Select(h => h.TrainingLoss), rest.Report.History.Select(h => h.TrainingLoss));
        Assert.Equal(whole.Report.History.Select(h => h.TrainingAccuracy), rest.Report.History.Select(h => h.TrainingAccuracy));
        Assert.Equal(Scores.Column(whole.Transform(test)), Scores.Column(rest.Transform(test)));
    }

    [Fact]
    public void A_checkpoint_of_format_3_which_has_no_training_accuracy_is_still_resumed()
    {
        using var folder = new TempFolder();
        var train = SyntheticImages.DataView(ml, 64, 1);
        var options = SyntheticImages.FastOptions(epochs: 1);
        options.CheckpointFolder = folder.Path;
        using (new CnnEstimator(ml, options).Fit(train)) { }

        // Format 3 is format 6 without its last three blocks: the precision (an int), before it the unreadable rows (a
        // count, 0 here), and before them the training accuracies (a count, then one double per epoch).
        var state = Path.Combine(folder.Path, "epoch-0001", "state.bin");
        var bytes = File.ReadAllBytes(state);
        Assert.Equal(6, BitConverter.ToInt32(bytes, 0));
        Assert.Equal(0, BitConverter.ToInt32(bytes, bytes.Length - 2 * sizeof(int)));
        bytes = bytes[..^(sizeof(int) + sizeof(int) + sizeof(int) + sizeof(double))];
        BitConverter.GetBytes(3).CopyTo(bytes, 0);
        File.WriteAllBytes(state, bytes);

        options.Epochs = 2;
        options.ResumeFromCheckpoint = true;
        using var resumed = new CnnEstimator(ml, options).Fit(train);

        Assert.Equal(new[] { 1, 2 }, resumed.Report.History.Select(h => h.Epoch));
        Assert.True(double.IsNaN(resumed.Report.History[0].TrainingAccuracy));
        // Epoch 2, trained after the resume, measures its accuracy as an unbroken run's epoch 2 does.
        var unbroken = SyntheticImages.FastOptions(epochs: 2);
        using var whole = new CnnEstimator(ml, unbroken).Fit(train);
        Assert.Equal(whole.Report.History[1].TrainingAccuracy, resumed.Report.History[1].TrainingAccuracy);
    }

    [Fact]
    public void A_checkpoint_of_another_run_is_refused()
    {
        using var folder = new TempFolder();
        var options = SyntheticImages.FastOptions(epochs: 1);
        options.CheckpointFolder = folder.Path;
        using (new CnnEstimator(ml, options).Fit(SyntheticImages.DataView(ml, 64, 1))) { }

        options.ResumeFromCheckpoint = true;
        var otherData = Assert.Throws<InvalidOperationException>(() => new CnnEstimator(ml, options).Fit(SyntheticImages.DataView(ml, 64, 2)));
        Assert.Contains("another run", otherData.Message);

        options.Seed = 99;
        var error = Assert.Throws<InvalidOperationException>(() => new CnnEstimator(ml, options).Fit(SyntheticImages.DataView(ml, 64, 1)));
        Assert.Contains("another run", error.Message);
    }

    [Theory]
    [InlineData(LearningRateSchedule.Step, new[] { 0.01, 0.01, 0.005, 0.005, 0.0025 })]
    [InlineData(LearningRateSchedule.Cosine, new[] { 0.01, 0.0090451, 0.0065451, 0.0034549, 0.00095492 })]
    public void Learning_rate_schedules_set_each_epochs_rate(LearningRateSchedule schedule, double[] expected)
    {
        var options = SyntheticImages.FastOptions(epochs: 5);
        options.LearningRate = 0.01;
        options.LearningRateSchedule = schedule;
        options.StepEpochs = 2;
        options.StepGamma = 0.5;
        options.CheckLearnable = false;
        using var t = new CnnEstimator(ml, options).Fit(SyntheticImages.DataView(ml, 64, 1));

        Assert.Equal(expected, t.Report.History.Select(h => Math.Round(h.LearningRate, 8)).ToArray(), (a, b) => Math.Abs(a - b) < 1e-7);
    }

    [Fact]
    public void Reduce_on_plateau_lowers_the_rate_after_epochs_without_improvement()
    {
        var options = SyntheticImages.FastOptions(epochs: 8);
        options.ValidationSet = SyntheticImages.DataView(ml, 30, 2);
        options.LearningRateSchedule = LearningRateSchedule.ReduceOnPlateau;
        options.EarlyStoppingMetric = ValidationMetric.Accuracy; // saturates at 1.0, so it plateaus
        options.PlateauPatience = 1;
        options.PlateauFactor = 0.5;
        using var t = new CnnEstimator(ml, options).Fit(SyntheticImages.DataView(ml, 96, 1));

        var rates = t.Report.History.Select(h => h.LearningRate).ToList();
        Assert.Equal(options.LearningRate, rates[0]);
        Assert.True(rates[^1] < rates[0], string.Join(", ", rates));
        for (var i = 1; i < rates.Count; i++)
            Assert.True(rates[i] == rates[i - 1] || rates[i] == rates[i - 1] * 0.5, string.Join(", ", rates));
    }

    [Fact]
    public void The_positive_class_weight_pushes_predictions_towards_the_positive_class()
    {
        // Images with no patch at all: neither class's evidence, so only the weighting decides.
        var neutral = ml.Data.LoadFromEnumerable(SyntheticImages.Rows(20, 2).Select(r => new ImageRow { Label = r.Label, Features = r.Features.Select(v => Math.Min(v, 0.3f)).ToArray() }));
        (double Loss, double Probability) Run(double weight)
        {
            var options = SyntheticImages.FastOptions(epochs: 2);
            options.PositiveClassWeight = weight;
            using var t = new CnnEstimator(ml, options).Fit(SyntheticImages.DataView(ml, 64, 1));
            return (t.Report.History[0].TrainingLoss, Scores.Column(t.Transform(neutral), CnnTransformer.ProbabilityColumnName).Average());
        }

        var heavy = Run(50);
        var light = Run(0.02);
        Assert.True(heavy.Loss > 5 * light.Loss, $"first-epoch loss {heavy.Loss} with weight 50, {light.Loss} with weight 0.02");
        Assert.True(heavy.Probability > light.Probability, $"neutral-image probability {heavy.Probability} with weight 50, {light.Probability} with weight 0.02");
    }

    [Fact]
    public void BalanceClasses_weighs_positives_by_negatives_over_positives_and_raises_the_predicted_positive_share()
    {
        // 80 negatives, 20 positives: balancing weighs each positive row 80 / 20 = 4 times.
        var imbalanced = ml.Data.LoadFromEnumerable(SyntheticImages.Rows(160, 1).Where((r, i) => !r.Label || i % 8 == 0).ToList());
        Assert.Equal(20, imbalanced.GetColumn<bool>("Label").Count(l => l));
        // Images with both classes' patches, each dimmed by a random factor: some lean one way, some the other.
        var random = new Random(2);
        ImageRow Ambiguous(int i)
        {
            var (positive, negative) = ((float)random.NextDouble(), (float)random.NextDouble());
            return new ImageRow
            {
                Label = i % 2 == 0,
                Features = SyntheticImages.Image(true, random).Zip(SyntheticImages.Image(false, random), (p, n) => Math.Max(p * positive, n * negative)).ToArray(),
            };
        }
        var ambiguous = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 200).Select(Ambiguous).ToList());
        (float[] Scores, double PositiveShare) Run(Action<CnnOptions> set)
        {
            var options = SyntheticImages.FastOptions(epochs: 6);
            set(options);
            using var t = new CnnEstimator(ml, options).Fit(imbalanced);
            var scored = t.Transform(ambiguous);
            return (Scores.Column(scored), Scores.Predicted(scored).Count(p => p) / 200.0);
        }

        var balanced = Run(o => o.BalanceClasses = true);
        var weighted = Run(o => o.PositiveClassWeight = 80.0 / 20);
        var plain = Run(_ => { });

        // The very model of PositiveClassWeight = negatives ÷ positives, and not the unweighted one ...
        Assert.Equal(weighted.Scores, balanced.Scores);
        Assert.NotEqual(plain.Scores, balanced.Scores);
        // ... which calls more of the ambiguous images positive (55 % against 42 % here; more than 10 of 200 more asked).
        Assert.True(balanced.PositiveShare > plain.PositiveShare + 0.05, $"predicted positive: {balanced.PositiveShare:P0} balanced, {plain.PositiveShare:P0} unweighted");
    }

    [Fact]
    public void BalanceClasses_with_PositiveClassWeight_is_refused()
    {
        var options = SyntheticImages.FastOptions(epochs: 1);
        options.BalanceClasses = true;
        options.PositiveClassWeight = 2;

        var error = Assert.Throws<ArgumentException>(() => new CnnEstimator(ml, options));

        Assert.Equal(nameof(CnnOptions.BalanceClasses), error.ParamName);
    }

    [Fact]
    public void ValidationFraction_holds_out_a_stratified_share_and_measures_it_every_epoch()
    {
        var options = SyntheticImages.FastOptions(epochs: 2);
        options.ValidationFraction = 0.25;
        using var t = new CnnEstimator(ml, options).Fit(SyntheticImages.DataView(ml, 80, 1));

        Assert.All(t.Report.History, h =>
        {
            Assert.Equal(20, h.Validation!.Count);
            Assert.Equal(10, h.Validation.Positives);
        });
    }

    [Theory]
    [InlineData("early stopping")]
    [InlineData("threshold selection")]
    public void Early_stopping_or_threshold_selection_without_validation_rows_is_refused(string option)
    {
        var options = SyntheticImages.FastOptions(epochs: 1);
        if (option == "early stopping")
            options.EarlyStoppingPatience = 2;
        else
            options.ThresholdSelection = ThresholdSelection.MaxF1;

        var error = Assert.Throws<ArgumentException>(() => new CnnEstimator(ml, options).Fit(SyntheticImages.DataView(ml, 16, 1)));

        Assert.StartsWith("Early stopping and threshold selection measure a validation set", error.Message);
        Assert.Contains("ValidationFraction", error.Message);
    }

    private sealed class Progress : IProgress<TrainingProgress>
    {
        private readonly Action<TrainingProgress> report;
        public Progress(Action<TrainingProgress> report) => this.report = report;
        public void Report(TrainingProgress value) => report(value);
    }
}
