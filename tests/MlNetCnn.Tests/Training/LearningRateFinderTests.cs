using Microsoft.ML;
using MlNetCnn.Diagnostics;
using MlNetCnn.Tests.Support;

namespace MlNetCnn.Tests.Training;

/// <summary>CnnEstimator.FindLearningRate, the range test, and CnnOptions.AutoLearningRate, which trains at its suggestion.</summary>
public sealed class LearningRateFinderTests
{
    [Fact]
    public void The_range_test_raises_the_rate_exponentially_and_suggests_a_tenth_of_the_rate_at_the_lowest_smoothed_loss()
    {
        var ml = new MLContext(seed: 1);
        var estimator = new CnnEstimator(ml, SyntheticImages.FastOptions());
        var data = SyntheticImages.DataView(ml, 96, 1);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = estimator.FindLearningRate(data, 1e-5, 1, 40);
        var outside = clock.Elapsed.TotalSeconds;

        Assert.Equal(result.Batches, result.Curve.Count);
        // A test that did not blow up ran every batch it was given.
        Assert.True(result.StoppedEarly || result.Batches == 40, $"{result.Batches} batches, not stopped early");
        Assert.Equal(1e-5, result.Curve[0].LearningRate, 12);
        // Each step multiplies the rate by the same factor, 1e5^(1/39).
        var growth = Math.Pow(1e5, 1.0 / 39);
        for (var i = 1; i < result.Curve.Count; i++)
            Assert.Equal(growth, result.Curve[i].LearningRate / result.Curve[i - 1].LearningRate, 9);
        var lowest = result.Curve.MinBy(p => p.SmoothedLoss)!;
        Assert.Equal(lowest.LearningRate, result.MinimumLossLearningRate);
        Assert.Equal(lowest.LearningRate / 10, result.SuggestedLearningRate);
        // The loss fell: the synthetic classes are easy.
        Assert.True(lowest.SmoothedLoss < result.Curve[0].SmoothedLoss * 0.8, $"lowest smoothed loss {lowest.SmoothedLoss}, first {result.Curve[0].SmoothedLoss}");
        // The test's own time, within the call's: reading 96 tiny rows is a small part of it.
        Assert.InRange(result.Seconds, outside / 4, outside);
    }

    [Fact]
    public void The_smoothed_loss_is_the_bias_corrected_moving_average_of_the_batch_losses_over_about_10_batches()
    {
        var ml = new MLContext(seed: 1);
        var result = new CnnEstimator(ml, SyntheticImages.FastOptions()).FindLearningRate(SyntheticImages.DataView(ml, 96, 1), 1e-5, 1, 40);

        // fastai's lr_find smoothing (avg = β·avg + (1 − β)·loss, divided by 1 − β^n), with β = 0.9: about the last 10
        // batches (LearningRateFinder.Smoothing says why not fastai's 0.98).
        const double beta = 0.9;
        double average = 0;
        for (var i = 0; i < result.Curve.Count; i++)
        {
            average = beta * average + (1 - beta) * result.Curve[i].Loss;
            Assert.Equal(average / (1 - Math.Pow(beta, i + 1)), result.Curve[i].SmoothedLoss, 9);
        }
        // Smoothing changed the curve: the raw losses jump about more than the smoothed ones.
        static double Roughness(IEnumerable<double> values) => values.Zip(values.Skip(1), (a, b) => Math.Abs(b - a)).Sum();
        Assert.True(Roughness(result.Curve.Select(p => p.Loss)) > 1.5 * Roughness(result.Curve.Select(p => p.SmoothedLoss)));
    }

    [Fact]
    public void The_range_test_stops_at_the_first_batch_whose_smoothed_loss_is_over_4_times_the_lowest()
    {
        var ml = new MLContext(seed: 1);
        var options = SyntheticImages.FastOptions();
        // From 0.01 to 100: the synthetic classes are fitted (losses near 0) until a rate near 1 throws the network out,
        // and the smoothed loss rises to about 5 times its lowest (measured): a stop at 4 times, not at 10 or 40.
        var result = new CnnEstimator(ml, options).FindLearningRate(SyntheticImages.DataView(ml, 96, 1), 1e-2, 1e2, 100);

        Assert.True(result.StoppedEarly);
        Assert.True(result.Batches < 100, $"{result.Batches} batches");
        Assert.All(result.Curve, p => Assert.True(double.IsFinite(p.Loss)));
        // Every batch before the last stayed within 4 times the lowest smoothed loss so far (so the test went on); the
        // last did not (so it stopped there).
        var lowest = double.PositiveInfinity;
        for (var i = 0; i < result.Curve.Count; i++)
        {
            var smoothed = result.Curve[i].SmoothedLoss;
            lowest = Math.Min(lowest, smoothed);
            Assert.True(i == result.Curve.Count - 1 ? smoothed > 4 * lowest : smoothed <= 4 * lowest,
                $"batch {i + 1} of {result.Curve.Count}: smoothed loss {smoothed}, lowest so far {lowest}");
        }
        Assert.Equal(result.Curve.MinBy(p => p.SmoothedLoss)!.LearningRate / 10, result.SuggestedLearningRate);
    }

    [Fact]
    public void The_range_test_changes_nothing_a_following_Fit_sees_even_with_the_contexts_seed()
    {
        // No seed in the options: Fit draws one from the context. The range test must not draw, so that the Fit after it
        // is the Fit without it, to the bit.
        var options = SyntheticImages.FastOptions(epochs: 2);
        options.Seed = null;
        var test = SyntheticImages.DataView(new MLContext(), 30, 3);

        var alone = new MLContext(seed: 5);
        using var expected = new CnnEstimator(alone, options).Fit(SyntheticImages.DataView(alone, 96, 1));

        var after = new MLContext(seed: 5);
        var estimator = new CnnEstimator(after, options);
        estimator.FindLearningRate(SyntheticImages.DataView(after, 96, 1), maxBatches: 20);
        using var actual = estimator.Fit(SyntheticImages.DataView(after, 96, 1));

        Assert.Equal(expected.Report.History.Select(r => r.TrainingLoss), actual.Report.History.Select(r => r.TrainingLoss));
        Assert.Equal(Scores.Column(expected.Transform(test)), Scores.Column(actual.Transform(test)));
        Assert.All(actual.Report.History, r => Assert.Equal(options.LearningRate, r.LearningRate));
        Assert.Null(actual.Report.LearningRateSearch);
    }

    [Fact]
    public void AutoLearningRate_trains_at_the_suggestion_logs_it_and_the_model_keeps_the_search()
    {
        var ml = new MLContext(seed: 1);
        var train = SyntheticImages.DataView(ml, 96, 1);
        var test = SyntheticImages.DataView(ml, 30, 3);
        var options = SyntheticImages.FastOptions(epochs: 2);
        var found = new CnnEstimator(ml, options).FindLearningRate(train);

        var auto = SyntheticImages.FastOptions(epochs: 2);
        auto.AutoLearningRate = true;
        var log = new LogCapture(ml);
        using var t = new CnnEstimator(ml, auto).Fit(train);

        Assert.All(t.Report.History, r => Assert.Equal(found.SuggestedLearningRate, r.LearningRate));
        Assert.Equal(found.Curve, t.Report.LearningRateSearch!.Curve);
        Assert.Contains(log.Infos, l => l.StartsWith("Learning-rate range test: ", StringComparison.Ordinal)
            && l.Contains($"suggested learning rate {found.SuggestedLearningRate:G3}", StringComparison.Ordinal)
            && l.EndsWith($"Training at {found.SuggestedLearningRate:G3} (AutoLearningRate).", StringComparison.Ordinal));

        // The same as training at that rate given by hand, to the bit.
        options.LearningRate = found.SuggestedLearningRate;
        using var byHand = new CnnEstimator(ml, options).Fit(train);
        Assert.Equal(Scores.Column(byHand.Transform(test)), Scores.Column(t.Transform(test)));

        // Saved with the model.
        using var folder = new TempFolder();
        var path = folder.File("model.zip");
        ml.Model.Save(t, train.Schema, path);
        using var loaded = Assert.IsType<CnnTransformer>(new MLContext().Model.Load(path, out _));
        var kept = loaded.Report.LearningRateSearch!;
        Assert.Equal(t.Report.LearningRateSearch, kept with { Curve = t.Report.LearningRateSearch.Curve });
        Assert.Equal(t.Report.LearningRateSearch.Curve, kept.Curve);
        Assert.Null(new CnnEstimator(ml, options).Fit(train).Report.LearningRateSearch);
    }

    [Fact]
    public void The_suggestion_trains_within_1_point_of_the_best_rate_found_by_hand_on_the_shipped_images()
    {
        // Hand search (all of data/train and data/valid, 3×36×36, the 16-channel network, batches of 32, 5 epochs with
        // cosine annealing, seed 1), last epoch's validation accuracy on the 400 images: 3e-4 0.930, 1e-3 0.955 (best),
        // 2e-3 0.953, 3e-3 0.953, 5e-3 0.953, 1e-2 0.950, 1.5e-2 0.943, 2e-2 0.945, 3e-2 0.935.
        // The range test (100 batches, 4-5 s on 2 cores) suggested 0.0201 (lowest smoothed loss at 0.201): 0.945.
        const int bestByHandCorrect = 382; // 0.955 of 400
        var ml = new MLContext(seed: 1);
        var pair = FashionPairs.ShippedWhole;
        var options = new CnnOptions
        {
            Epochs = 5,
            BatchSize = 32,
            AutoLearningRate = true,
            LearningRateSchedule = LearningRateSchedule.Cosine,
            Seed = 1,
            Network = SyntheticImages.SmallNetwork,
            ValidationSet = pair.ValidView(ml),
            CacheImages = true,
            // The hand search ran with 2 threads; libtorch's count is process-wide and other tests change it.
            Threads = 2,
        };
        using var t = new CnnEstimator(ml, options).Fit(pair.TrainView(ml));

        var search = t.Report.LearningRateSearch!;
        Assert.Equal(search.SuggestedLearningRate, t.Report.History[0].LearningRate);
        Assert.True(search.StoppedEarly || search.Batches == CnnEstimator.FinderMaxBatches, $"{search.Batches} batches, not stopped early");
        var last = t.Report.History[^1].Validation!;
        var correct = (int)Math.Round(last.Accuracy * last.Count);
        Assert.True(correct >= bestByHandCorrect - last.Count / 100,
            $"the suggestion {search.SuggestedLearningRate:G3} reached {last.Accuracy:F3}; the best rate by hand 0.955 ({search.Batches} batches, {search.Seconds:F1} s)");
    }

    [Fact]
    public void Bad_input_to_the_range_test_is_refused_naming_the_problem()
    {
        var ml = new MLContext(seed: 1);
        var estimator = new CnnEstimator(ml, SyntheticImages.FastOptions());

        var empty = Assert.Throws<ArgumentException>(() => estimator.FindLearningRate(ml.Data.LoadFromEnumerable(new List<ImageRow>())));
        Assert.Equal("The training data has no rows.", empty.Message);
        var oneClass = Assert.Throws<ArgumentException>(() => estimator.FindLearningRate(SyntheticImages.DataView(ml, 20, 1, onlyLabel: true)));
        Assert.Contains("one class", oneClass.Message);
        var data = SyntheticImages.DataView(ml, 20, 1);
        Assert.Equal("startRate", Assert.Throws<ArgumentOutOfRangeException>(() => estimator.FindLearningRate(data, startRate: 0)).ParamName);
        Assert.Equal("endRate", Assert.Throws<ArgumentOutOfRangeException>(() => estimator.FindLearningRate(data, startRate: 1e-3, endRate: 1e-4)).ParamName);
        Assert.Equal("maxBatches", Assert.Throws<ArgumentOutOfRangeException>(() => estimator.FindLearningRate(data, maxBatches: 1)).ParamName);
        Assert.Throws<ArgumentNullException>(() => estimator.FindLearningRate(null!));
    }
}
