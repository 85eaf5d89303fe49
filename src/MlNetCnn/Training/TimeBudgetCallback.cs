using System.Globalization;

namespace MlNetCnn.Training;

/// <summary>
/// <see cref="CnnOptions.TrainingTime"/> on the callback seam: times epoch 1, fixes once the epochs that fit in what is
/// left of the budget and sizes the schedule to them, and stops a run whose later epochs turn out too slow to end within
/// the budget. Epoch 1 trains the same whatever the count (<see cref="LearningRatePlan.Epochs"/>), so a run told the
/// fixed count from the start repeats this one bit for bit.
/// </summary>
/// <param name="budget">The budget (<see cref="CnnOptions.TrainingTime"/>), counted from Fit's start (<see cref="TrainingContext.Elapsed"/>).</param>
/// <param name="plan">The schedule, sized to the epochs fixed.</param>
/// <param name="finalPasses">Passes over the validation rows after the last epoch (the threshold's choice).</param>
/// <param name="info">The training log.</param>
/// <param name="warn">The training log's warnings.</param>
internal sealed class TimeBudgetCallback(TimeSpan budget, LearningRatePlan plan, int finalPasses, Action<string> info, Action<string> warn) : ITrainingCallback
{
    /// <summary>Fit ends within this share of the budget, either side.</summary>
    public const double Tolerance = CnnOptions.TrainingTimeTolerance;

    // Epoch 1's first batches carry one-off costs (kernel selection, first allocations, the first chunk of streamed
    // images): its training speed is taken from the batches after them.
    internal const int WarmupBatches = 2;

    // The plan aims at the budget and takes one epoch more when that one is planned to end no later than this share
    // beyond it: the nearest count, within half the tolerance.
    internal const double PlanSlack = Tolerance / 2;

    // A bound on the count for epochs so short that the budget holds millions of them.
    internal const int MaxEpochs = 100_000;

    private double warmSeconds;
    private double lastBatchSeconds;
    private double firstEpochSeconds;
    private double reserveSeconds;

    /// <summary>The epochs fixed at the end of epoch 1; null before.</summary>
    public int? FixedEpochs { get; private set; }

    /// <summary>The epoch after which the run stopped to stay within the budget; null when it did not.</summary>
    public int? StoppedAfter { get; private set; }

    public void OnBatchEnd(TrainingContext context)
    {
        if (context.Epoch != 1 || FixedEpochs is not null)
            return;
        lastBatchSeconds = context.SecondsThisEpoch;
        if (context.Batch == WarmupBatches)
            warmSeconds = lastBatchSeconds;
        // While epoch 1 runs, the count shown is an estimate from its training speed so far (validation not yet timed).
        if (context.Batch > WarmupBatches)
            context.Epochs = Fit(budget.TotalSeconds, context.Elapsed.TotalSeconds - lastBatchSeconds, TrainSeconds(context.Batch, context.BatchesPerEpoch), 0);
    }

    public void OnEpochEnd(TrainingContext context)
    {
        if (FixedEpochs is null && context.Epoch == 1)
        {
            Fix(context);
            return;
        }
        // The guard: stop when the next epoch, at this one's pace, and the final passes would end beyond the tolerance.
        var last = context.SecondsThisEpoch;
        if (FixedEpochs is not null && context.Epoch < context.Epochs && !context.StopRequested &&
            context.Elapsed.TotalSeconds + last + reserveSeconds > budget.TotalSeconds * (1 + Tolerance))
        {
            StoppedAfter = context.Epoch;
            warn(string.Create(CultureInfo.InvariantCulture,
                $"Time budget {budget.TotalSeconds:0.#} s: epoch {context.Epoch} took {last:F1} s against {firstEpochSeconds:F1} s planned from epoch 1; " +
                $"stopping after epoch {context.Epoch} of {context.Epochs} so that Fit ends within the budget. The machine likely became busier; " +
                $"this run is not repeated by Epochs = {context.Epochs} (which trains all of them)."));
            context.RequestStop("the time budget: the epochs ran slower than the first");
        }
    }

    private void Fix(TrainingContext context)
    {
        var batches = context.BatchesPerEpoch;
        var train = TrainSeconds(batches, batches);
        // Batch-norm refresh and the validation pass; as much is kept for each pass after the last epoch, and at least
        // once for building the scorer, so that those end within the budget too.
        var rest = Math.Max(0, context.SecondsThisEpoch - lastBatchSeconds);
        var elapsed = context.Elapsed.TotalSeconds;
        firstEpochSeconds = train + rest;
        reserveSeconds = rest * Math.Max(1, finalPasses);
        var epochs = Fit(budget.TotalSeconds, elapsed, firstEpochSeconds, reserveSeconds);
        FixedEpochs = epochs;
        context.Epochs = epochs;
        plan.SizeTo(epochs);
        var end = elapsed + (epochs - 1) * firstEpochSeconds + reserveSeconds;
        info(string.Create(CultureInfo.InvariantCulture,
            $"Time budget {budget.TotalSeconds:0.#} s: epoch 1 ended {elapsed:F1} s into Fit; an epoch takes about {firstEpochSeconds:F2} s " +
            $"(training {train:F2} s, timed after {Math.Min(WarmupBatches, batches - 1)} warm-up batches; validation {rest:F2} s). " +
            $"Fixed {epochs} epochs, planned to end {end:F1} s into Fit; Epochs = {epochs} trains this run again, bit for bit."));
    }

    // Epoch 1's training time at the speed of its batches after the warm-up (all of them when there are too few).
    private double TrainSeconds(int batchesDone, int batches) =>
        batchesDone > WarmupBatches
            ? (lastBatchSeconds - warmSeconds) / (batchesDone - WarmupBatches) * batches
            : lastBatchSeconds / Math.Max(1, batchesDone) * batches;

    /// <summary>
    /// The epochs that fit: epoch 1 ended <paramref name="elapsed"/> seconds into the budget of <paramref name="budget"/>;
    /// each further epoch takes <paramref name="epochSeconds"/> and <paramref name="reserve"/> is kept for after the last.
    /// The count whose planned end is nearest the budget without passing it by more than <see cref="PlanSlack"/> of it;
    /// at least 1.
    /// </summary>
    internal static int Fit(double budget, double elapsed, double epochSeconds, double reserve)
    {
        var room = budget - elapsed - reserve;
        if (!(room > 0))
            return 1;
        if (!(epochSeconds > 0))
            return MaxEpochs;
        var more = Math.Floor(room / epochSeconds);
        var under = room - more * epochSeconds;
        var over = (more + 1) * epochSeconds - room;
        if (over <= Math.Min(under, budget * PlanSlack))
            more++;
        return (int)Math.Min(MaxEpochs, 1 + more);
    }
}
