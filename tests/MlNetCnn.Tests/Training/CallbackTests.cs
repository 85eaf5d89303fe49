using Microsoft.ML;
using MlNetCnn.Tests.Support;

namespace MlNetCnn.Tests.Training;

public sealed class CallbackTests
{
    private sealed class Recorder : ITrainingCallback
    {
        public List<string> Calls { get; } = [];
        public List<double> EpochRates { get; } = [];
        public List<(int Epoch, int Batch, double Loss, int Images, double Rate)> Batches { get; } = [];

        public void OnTrainingBegin(TrainingContext context) => Calls.Add($"begin {context.Epoch}");
        public void OnEpochBegin(TrainingContext context)
        {
            Calls.Add($"epoch {context.Epoch}");
            EpochRates.Add(context.LearningRate);
        }
        public void OnBatchEnd(TrainingContext context) => Batches.Add((context.Epoch, context.Batch, context.BatchLoss, context.BatchImages, context.LearningRate));
        public void OnEpochEnd(TrainingContext context) => Calls.Add($"end {context.Epoch} {context.LastEpoch!.Epoch} {context.History.Count}");
        public void OnTrainingEnd(TrainingContext context) => Calls.Add($"done {context.History.Count}");
    }

    private sealed class Lambda(Action<TrainingContext>? epochBegin = null, Action<TrainingContext>? batchEnd = null, Action<TrainingContext>? epochEnd = null) : ITrainingCallback
    {
        public void OnEpochBegin(TrainingContext context) => epochBegin?.Invoke(context);
        public void OnBatchEnd(TrainingContext context) => batchEnd?.Invoke(context);
        public void OnEpochEnd(TrainingContext context) => epochEnd?.Invoke(context);
    }

    private static CnnTransformer Fit(CnnOptions options, int rows = 96)
    {
        var ml = new MLContext(seed: 1);
        options.Threads = 1;
        return new CnnEstimator(ml, options).Fit(SyntheticImages.DataView(ml, rows, seed: 3));
    }

    [Fact]
    public void A_callback_that_requests_a_stop_after_epoch_2_gets_a_model_of_two_epochs()
    {
        var recorder = new Recorder();
        var options = SyntheticImages.FastOptions(epochs: 5);
        options.Callbacks.Add(new Lambda(epochEnd: c => { if (c.Epoch == 2) c.RequestStop(); }));
        options.Callbacks.Add(recorder);
        using var model = Fit(options);

        Assert.Equal(2, model.Report.History.Count);
        Assert.Equal(2, model.Report.BestEpoch);
        Assert.Equal(["begin 0", "epoch 1", "end 1 1 1", "epoch 2", "end 2 2 2", "done 2"], recorder.Calls);
        // The model is whole: it scores, and as a two-epoch run with no callback does.
        using var twoEpochs = Fit(SyntheticImages.FastOptions(epochs: 2));
        var data = SyntheticImages.DataView(new MLContext(seed: 1), 16, seed: 9);
        Assert.Equal(Scores.Column(twoEpochs.Transform(data)), Scores.Column(model.Transform(data)));
    }

    [Fact]
    public void A_callback_sees_every_batch_loss_and_they_make_the_epochs_mean_loss()
    {
        var recorder = new Recorder();
        var options = SyntheticImages.FastOptions(epochs: 2);
        options.Callbacks.Add(recorder);
        using var model = Fit(options, rows: 90);

        var perEpoch = recorder.Batches.GroupBy(b => b.Epoch).ToArray();
        Assert.Equal(2, perEpoch.Length);
        foreach (var epoch in perEpoch)
        {
            var record = model.Report.History[epoch.Key - 1];
            // 90 rows in batches of the options' size, 1-based and in order.
            Assert.Equal(Enumerable.Range(1, epoch.Count()), epoch.Select(b => b.Batch));
            Assert.Equal(90, epoch.Sum(b => b.Images));
            double sum = 0;
            foreach (var b in epoch)
                sum += (float)b.Loss * b.Images;
            Assert.Equal(record.TrainingLoss, sum / 90, 12);
        }
    }

    [Fact]
    public void A_rate_a_callback_sets_at_an_epochs_start_or_after_a_batch_is_the_rate_Adam_steps_at_from_then_on()
    {
        var baseline = new Recorder();
        var constant = SyntheticImages.FastOptions(epochs: 1);
        constant.LearningRate = 1e-3;
        constant.Callbacks.Add(baseline);
        using var a = Fit(constant);

        // Options say 0.5; the callback says 1e-3 at the epoch's start: the same run, bit for bit.
        var overridden = new Recorder();
        var options = SyntheticImages.FastOptions(epochs: 1);
        options.LearningRate = 0.5;
        options.Callbacks.Add(new Lambda(epochBegin: c => c.LearningRate = 1e-3));
        options.Callbacks.Add(overridden);
        using var b = Fit(options);
        Assert.Equal(baseline.Batches, overridden.Batches);
        Assert.Equal(a.Report.History[0].TrainingLoss, b.Report.History[0].TrainingLoss);

        // From batch 3 on, 0.05: batches 1–4 see the same weights as the baseline (the 4th loss is taken before the
        // first step at the new rate), the 5th does not.
        var changed = new Recorder();
        var perBatch = SyntheticImages.FastOptions(epochs: 1);
        perBatch.LearningRate = 1e-3;
        perBatch.Callbacks.Add(new Lambda(batchEnd: c => { if (c.Batch == 3) c.LearningRate = 0.05; }));
        perBatch.Callbacks.Add(changed);
        using var d = Fit(perBatch);
        Assert.True(changed.Batches.Count >= 5);
        Assert.Equal(baseline.Batches.Take(4).Select(x => x.Loss), changed.Batches.Take(4).Select(x => x.Loss));
        Assert.NotEqual(baseline.Batches[4].Loss, changed.Batches[4].Loss);
        Assert.Equal(0.05, changed.Batches[3].Rate);
        // The epoch's record keeps the rate it started with.
        Assert.Equal(1e-3, d.Report.History[0].LearningRate);
    }

    // 0.01 at first; Step halves it every epoch; Cosine anneals it to 0 over 3 epochs ((1 + cos(π(e − 1)/3))/2: 1, ¾, ¼);
    // reduce-on-plateau halves it after an epoch without improvement, and with a minimum change of 10 nats no epoch
    // after the first improves the training loss it watches (there is no validation set).
    [Theory]
    [InlineData(LearningRateSchedule.Constant, new[] { 0.01, 0.01, 0.01 })]
    [InlineData(LearningRateSchedule.Step, new[] { 0.01, 0.005, 0.0025 })]
    [InlineData(LearningRateSchedule.Cosine, new[] { 0.01, 0.0075, 0.0025 })]
    [InlineData(LearningRateSchedule.ReduceOnPlateau, new[] { 0.01, 0.01, 0.005 })]
    public void Under_every_schedule_callbacks_see_each_epochs_scheduled_rate_and_a_rate_they_set_holds_from_the_next_batch_to_the_epochs_end(
        LearningRateSchedule schedule, double[] expected)
    {
        CnnOptions Options(LearningRateSchedule chosen, params ITrainingCallback[] callbacks)
        {
            var options = SyntheticImages.FastOptions(epochs: 3);
            options.LearningRate = 0.01;
            options.LearningRateSchedule = chosen;
            options.StepEpochs = 1;
            options.StepGamma = 0.5;
            options.PlateauPatience = 1;
            options.PlateauFactor = 0.5;
            options.EarlyStoppingMinDelta = 10;
            options.CheckLearnable = false;
            foreach (var callback in callbacks)
                options.Callbacks.Add(callback);
            return options;
        }
        static void Near(double[] expected, IEnumerable<double> actual) => Assert.Equal(expected, actual.ToArray(), (a, b) => Math.Abs(a - b) <= 1e-12 * a);

        // The schedule, as callbacks see it.
        var scheduled = new Recorder();
        using (var model = Fit(Options(schedule, scheduled), rows: 64))
            Near(expected, model.Report.History.Select(h => h.LearningRate));
        Near(expected, scheduled.EpochRates);
        Assert.All(scheduled.Batches, b => Assert.Equal(expected[b.Epoch - 1], b.Rate, 12));

        // Adam took each from the epoch's first step: against a run at a constant 0.01, the first loss to differ is that of
        // batch 2 (the first after a step) of the first epoch whose rate differs.
        var constant = new Recorder();
        using (Fit(Options(LearningRateSchedule.Constant, constant), rows: 64)) { }
        var changed = Array.FindIndex(expected, r => r != expected[0]) + 1;
        var differs = Enumerable.Range(0, scheduled.Batches.Count).FirstOrDefault(i => scheduled.Batches[i].Loss != constant.Batches[i].Loss, -1);
        (int Epoch, int Batch)? firstDiffering = differs < 0 ? null : (scheduled.Batches[differs].Epoch, scheduled.Batches[differs].Batch);
        Assert.Equal(changed == 0 ? null : (changed, 2), firstDiffering);

        // And the same run, bit for bit, as a constant schedule whose rate a callback sets to them at each epoch's start.
        var byHand = new Recorder();
        using (Fit(Options(LearningRateSchedule.Constant, new Lambda(epochBegin: c => c.LearningRate = scheduled.EpochRates[c.Epoch - 1]), byHand), rows: 64)) { }
        Assert.Equal(scheduled.Batches, byHand.Batches);

        // A rate a callback sets after batch 2 of epoch 1 holds to that epoch's end: batch 3 is the first step at it, so
        // batch 4's loss is the first to differ. The schedule sets the next epochs' rates again.
        var overridden = new Recorder();
        using (Fit(Options(schedule, new Lambda(batchEnd: c => { if (c is { Epoch: 1, Batch: 2 }) c.LearningRate = 0.05; }), overridden), rows: 64)) { }
        var first = overridden.Batches.Where(b => b.Epoch == 1).ToArray();
        Assert.True(first.Length >= 4);
        Assert.Equal([expected[0], .. Enumerable.Repeat(0.05, first.Length - 1)], first.Select(b => b.Rate));
        Assert.Equal(scheduled.Batches.Take(3).Select(b => b.Loss), first.Take(3).Select(b => b.Loss));
        Assert.NotEqual(scheduled.Batches[3].Loss, first[3].Loss);
        Near(expected, overridden.EpochRates);
        Assert.All(overridden.Batches.Where(b => b.Epoch > 1), b => Assert.Equal(expected[b.Epoch - 1], b.Rate, 12));
    }

    [Fact]
    public void A_null_callback_or_a_bad_rate_is_refused_by_name()
    {
        var options = SyntheticImages.FastOptions(epochs: 1);
        options.Callbacks.Add(null!);
        Assert.Equal("Callbacks", Assert.ThrowsAny<ArgumentException>(() => new CnnEstimator(new MLContext(1), options)).ParamName);

        var negative = SyntheticImages.FastOptions(epochs: 1);
        negative.Callbacks.Add(new Lambda(epochBegin: c => c.LearningRate = -1));
        var e = Assert.ThrowsAny<ArgumentOutOfRangeException>(() => Fit(negative));
        Assert.Contains("learning rate must be 0 or a positive", e.Message);
    }
}
