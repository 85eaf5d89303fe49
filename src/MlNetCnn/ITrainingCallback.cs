namespace MlNetCnn;

/// <summary>
/// A hook into <see cref="CnnEstimator.Fit"/>'s training loop, added through <see cref="CnnOptions.Callbacks"/>. Every
/// method has an empty default body: implement the ones you need. They are called on the training thread, in the
/// order the callbacks were added, after the built-in schedule (so a callback's learning rate wins) and before the
/// built-in progress report. An exception thrown by a callback fails Fit.
/// </summary>
/// <example>
/// <code>
/// sealed class StopAtAccuracy : ITrainingCallback
/// {
///     public void OnEpochEnd(TrainingContext context)
///     {
///         if (context.LastEpoch?.Validation?.Accuracy >= 0.95)
///             context.RequestStop();
///     }
/// }
/// var options = new CnnOptions { Callbacks = { new StopAtAccuracy() } };
/// </code>
/// </example>
public interface ITrainingCallback
{
    /// <summary>
    /// Once, after the training and validation rows are read and before the checks on what they hold and any training:
    /// <paramref name="unreadableRows"/> are the rows <see cref="CnnOptions.SkipUnreadableRows"/> left out (training rows
    /// first, each set in input order; empty when none were, or when not skipping). Throw to stop Fit before it trains.
    /// </summary>
    void OnDataRead(IReadOnlyList<UnreadableRow> unreadableRows) { }

    /// <summary>Before the first epoch (after a resume, before the first epoch still to train; <see cref="TrainingContext.History"/> then holds the restored epochs).</summary>
    void OnTrainingBegin(TrainingContext context) { }

    /// <summary>Before an epoch's first batch, after the schedule has set <see cref="TrainingContext.LearningRate"/> for it.</summary>
    void OnEpochBegin(TrainingContext context) { }

    /// <summary>After each training step: <see cref="TrainingContext.Batch"/> and <see cref="TrainingContext.BatchLoss"/> describe it.</summary>
    void OnBatchEnd(TrainingContext context) { }

    /// <summary>After an epoch is measured and recorded: <see cref="TrainingContext.LastEpoch"/> is its record.</summary>
    void OnEpochEnd(TrainingContext context) { }

    /// <summary>After the last epoch (or the one a stop was requested in), once the weights the model keeps are in place.</summary>
    void OnTrainingEnd(TrainingContext context) { }
}
