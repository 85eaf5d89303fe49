using MlNetCnn.Diagnostics;

namespace MlNetCnn.Training;

/// <summary>The learning-rate schedule on the callback seam: sets each epoch's rate, and feeds reduce-on-plateau.</summary>
internal sealed class ScheduleCallback(LearningRatePlan plan, CnnOptions options) : ITrainingCallback
{
    public void OnEpochBegin(TrainingContext context) => context.LearningRate = plan.ForEpoch(context.Epoch);

    public void OnEpochEnd(TrainingContext context)
    {
        var record = context.LastEpoch!;
        plan.Observe(record.Validation is { } metrics ? MetricTracker.Read(options.EarlyStoppingMetric, metrics) : record.TrainingLoss);
    }
}

/// <summary><see cref="CnnOptions.Progress"/> on the callback seam: a report after every batch and every epoch.</summary>
internal sealed class ProgressCallback(IProgress<TrainingProgress> progress) : ITrainingCallback
{
    public void OnBatchEnd(TrainingContext context) =>
        progress.Report(new TrainingProgress(context.Epoch, context.Epochs, context.Batch, context.BatchesPerEpoch,
            context.ImagesThisEpoch / Math.Max(context.SecondsThisEpoch, 1e-9), null));

    public void OnEpochEnd(TrainingContext context)
    {
        var record = context.LastEpoch!;
        progress.Report(new TrainingProgress(context.Epoch, context.Epochs, context.BatchesPerEpoch, context.BatchesPerEpoch, record.ImagesPerSecond, record));
    }
}
