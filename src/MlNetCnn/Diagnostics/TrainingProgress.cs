namespace MlNetCnn.Diagnostics;

/// <summary>Where training is, reported after every training batch and at the end of every epoch. Plain data.</summary>
/// <param name="Epoch">1-based epoch number.</param>
/// <param name="Epochs">Epochs planned.</param>
/// <param name="Batch">Training batches done in this epoch.</param>
/// <param name="Batches">Training batches in this epoch.</param>
/// <param name="ImagesPerSecond">Training images per second so far in this epoch.</param>
/// <param name="Completed">The epoch's record once the epoch (with its validation) is done; null while it runs.</param>
public sealed record TrainingProgress(int Epoch, int Epochs, int Batch, int Batches, double ImagesPerSecond, EpochRecord? Completed)
{
    /// <summary>The run's time budget (<see cref="CnnOptions.TrainingTime"/>) when it sets the epochs; null otherwise.</summary>
    public TimeSpan? TimeBudget { get; init; }

    /// <summary>What is left of <see cref="TimeBudget"/> at this report; null without a budget.</summary>
    public TimeSpan? TimeLeft { get; init; }
}
