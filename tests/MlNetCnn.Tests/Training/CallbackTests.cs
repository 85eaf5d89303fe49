using Microsoft.ML;
using MlNetCnn.Tests.Support;

namespace MlNetCnn.Tests.Training;

public sealed class CallbackTests
{
    private sealed class Recorder : ITrainingCallback
    {
        public List<string> Calls { get; } = [];
        public List<(int Epoch, int Batch, double Loss, int Images, double Rate)> Batches { get; } = [];

        public void OnTrainingBegin(TrainingContext context) => Calls.Add($"begin {context.Epoch}");
        public void OnEpochBegin(TrainingContext context) => Calls.Add($"epoch {context.Epoch}");
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
            Assert.All(epoch, b => Assert.True(double.IsFinite(b.Loss) && b.Loss > 0));
        }
    }

    [Fact]
    public void A_callback_sets_the_rate_from_the_next_batch_on_over_the_schedules()
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
