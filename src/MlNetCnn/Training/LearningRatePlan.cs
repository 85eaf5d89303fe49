namespace MlNetCnn.Training;

/// <summary>The learning rate of each epoch under the chosen schedule. Reduce-on-plateau keeps state; the others are pure.</summary>
internal sealed class LearningRatePlan
{
    private readonly CnnOptions options;
    private readonly MetricTracker plateau;

    public LearningRatePlan(CnnOptions options, bool hasValidation)
    {
        this.options = options;
        Epochs = options.Epochs;
        Current = options.LearningRate;
        // Without validation rows, reduce-on-plateau watches the training loss.
        plateau = new MetricTracker(hasValidation ? options.EarlyStoppingMetric : ValidationMetric.Loss, options.EarlyStoppingMinDelta);
    }

    /// <summary>
    /// The epochs the schedule spans (cosine anneals over them): <see cref="CnnOptions.Epochs"/>, or those a time budget
    /// fixed (<see cref="SizeTo"/>). Epoch 1's rate does not depend on it under any schedule, so a budget can fix it
    /// after timing epoch 1 and a run told those epochs from the start trains the same.
    /// </summary>
    public int Epochs { get; private set; }

    /// <summary>Sizes the schedule to <paramref name="epochs"/> epochs.</summary>
    public void SizeTo(int epochs)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(epochs, 1);
        Epochs = epochs;
    }

    /// <summary>The rate reduce-on-plateau has reached.</summary>
    public double Current { get; private set; }

    /// <summary>Epochs since the plateau tracker last saw an improvement.</summary>
    public MetricTracker Plateau => plateau;

    /// <summary>The learning rate of 1-based <paramref name="epoch"/>.</summary>
    public double ForEpoch(int epoch)
    {
        var initial = options.LearningRate;
        var floor = options.MinimumLearningRate;
        return options.LearningRateSchedule switch
        {
            LearningRateSchedule.Constant => initial,
            LearningRateSchedule.Step => Math.Max(floor, initial * Math.Pow(options.StepGamma, (epoch - 1) / options.StepEpochs)),
            LearningRateSchedule.Cosine => floor + (initial - floor) * (1 + Math.Cos(Math.PI * (epoch - 1) / Epochs)) / 2,
            LearningRateSchedule.ReduceOnPlateau => Current,
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.LearningRateSchedule, "Unknown learning-rate schedule."),
        };
    }

    /// <summary>Feeds an epoch's watched value to reduce-on-plateau.</summary>
    public void Observe(double value)
    {
        if (options.LearningRateSchedule != LearningRateSchedule.ReduceOnPlateau)
            return;
        plateau.Observe(value, epoch: 0);
        if (plateau.EpochsWithoutImprovement >= options.PlateauPatience)
        {
            Current = Math.Max(options.MinimumLearningRate, Current * options.PlateauFactor);
            plateau.ResetPatience();
        }
    }

    /// <summary>Restores reduce-on-plateau's state from a checkpoint.</summary>
    public void Restore(double current, MetricTracker.State state)
    {
        Current = current;
        plateau.Restore(state);
    }
}
