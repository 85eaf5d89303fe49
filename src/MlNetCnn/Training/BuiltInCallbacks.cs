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
            context.ImagesThisEpoch / Math.Max(context.SecondsThisEpoch, 1e-9), null) { TimeBudget = context.TimeBudget, TimeLeft = context.TimeLeft });

    public void OnEpochEnd(TrainingContext context)
    {
        var record = context.LastEpoch!;
        progress.Report(new TrainingProgress(context.Epoch, context.Epochs, context.BatchesPerEpoch, context.BatchesPerEpoch, record.ImagesPerSecond, record)
        {
            TimeBudget = context.TimeBudget,
            TimeLeft = context.TimeLeft,
        });
    }
}

/// <summary>
/// Early stopping on the callback seam: after each measured epoch, keeps the weights of the best one by
/// <see cref="CnnOptions.EarlyStoppingMetric"/>, asks for a stop after <see cref="CnnOptions.EarlyStoppingPatience"/>
/// epochs without improvement, and puts the best weights back when training ends.
/// </summary>
internal sealed class EarlyStoppingCallback(CnnOptions options, Action<string> log) : ITrainingCallback
{
    /// <summary>The metric's best value, its epoch and the epochs since; kept by checkpoints.</summary>
    public MetricTracker Tracker { get; } = new(options.EarlyStoppingMetric, options.EarlyStoppingMinDelta);

    /// <summary>The best epoch's weights (TorchSharp's state format), once an epoch has improved.</summary>
    public byte[]? BestWeights { get; private set; }

    /// <summary>The epoch whose weights the network holds after <see cref="OnTrainingEnd"/>; null when it keeps the last epoch's.</summary>
    public int? RestoredEpoch { get; private set; }

    /// <summary>Takes up a resumed run's state.</summary>
    public void Restore(MetricTracker.State state, byte[]? bestWeights)
    {
        Tracker.Restore(state);
        BestWeights = bestWeights;
    }

    public void OnEpochEnd(TrainingContext context)
    {
        if (options.EarlyStoppingPatience is not { } patience || context.LastEpoch!.Validation is not { } metrics)
            return;
        if (Tracker.Observe(MetricTracker.Read(options.EarlyStoppingMetric, metrics), context.Epoch))
            BestWeights = Snapshot(context.Network.Module);
        if (Tracker.EpochsWithoutImprovement >= patience)
        {
            log($"Early stopping after epoch {context.Epoch}: {options.EarlyStoppingMetric} has not improved for {patience} epochs; restoring epoch {Tracker.BestEpoch}.");
            context.RequestStop($"early stopping: {options.EarlyStoppingMetric} has not improved for {patience} epochs");
        }
    }

    public void OnTrainingEnd(TrainingContext context)
    {
        if (BestWeights is null)
            return;
        context.Network.Module.load(new MemoryStream(BestWeights));
        RestoredEpoch = Tracker.BestEpoch;
    }

    /// <summary>The module's state in TorchSharp's format.</summary>
    internal static byte[] Snapshot(TorchSharp.torch.nn.Module module)
    {
        using var stream = new MemoryStream();
        module.save(stream);
        return stream.ToArray();
    }
}

/// <summary>Checkpoints on the callback seam: after each epoch, the loop's state, the weights, the optimiser and the best weights so far.</summary>
internal sealed class CheckpointCallback(
    MlNetCnn.Persistence.CheckpointStore store, int seed, string fingerprint, LearningRatePlan plan, EarlyStoppingCallback earlyStopping,
    AdamOptimizer optimizer, IReadOnlyList<UnreadableRow> unreadable) : ITrainingCallback
{
    public void OnEpochEnd(TrainingContext context) =>
        store.Save(new MlNetCnn.Persistence.CheckpointStore.LoopState(context.Epoch, seed, fingerprint, context.History, plan.Current, plan.Plateau.Snapshot,
                earlyStopping.Tracker.Snapshot, unreadable),
            context.Network.Module, optimizer, earlyStopping.BestWeights);
}
