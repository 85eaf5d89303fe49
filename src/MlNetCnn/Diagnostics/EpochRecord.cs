using System.Globalization;

namespace MlNetCnn.Diagnostics;

/// <summary>What one training epoch did. One record per epoch, written by the trainer, read by everyone else.</summary>
/// <param name="Epoch">1-based epoch number.</param>
/// <param name="TrainingLoss">Mean binary cross-entropy over the epoch's training batches, in nats.</param>
/// <param name="Validation">Metrics over the whole validation set, or null when there is none.</param>
/// <param name="LearningRate">The learning rate the epoch used.</param>
/// <param name="Seconds">Wall-clock time of the epoch, validation included.</param>
/// <param name="ImagesPerSecond">Training images per second of training time (validation excluded).</param>
/// <param name="Alarms">Alarms raised after this epoch (empty for a healthy epoch).</param>
public sealed record EpochRecord(int Epoch, double TrainingLoss, BinaryMetrics? Validation, double LearningRate, double Seconds, double ImagesPerSecond, IReadOnlyList<Alarm> Alarms)
{
    /// <summary>
    /// Share of the epoch's training images the network labelled right (probability ≥ threshold) as it trained on them:
    /// a running accuracy over the epoch's batches, in training mode and after augmentation, so each batch is judged by
    /// the weights of that moment, before its own step. Compare it with the validation accuracy for the overfitting gap.
    /// <see cref="double.NaN"/> in records of models saved before it was kept.
    /// </summary>
    public double TrainingAccuracy { get; init; } = double.NaN;

    /// <summary>
    /// Every figure of this epoch, in one order, with its key (as metrics files write it), names and display format:
    /// what the command line's table and metrics.json show, so that both list the same figures. A figure the epoch
    /// did not measure (no validation, training accuracy of an older model) has a null value.
    /// </summary>
    public IReadOnlyList<EpochField> Fields()
    {
        var v = Validation;
        double? Known(double value) => double.IsNaN(value) ? null : value;
        return
        [
            new("trainingLoss", "training loss", "train loss", TrainingLoss, "F4"),
            new("trainingAccuracy", "training accuracy", "train acc.", Known(TrainingAccuracy), "F4"),
            new("learningRate", "learning rate", "lr", LearningRate, "G3"),
            new("validationLoss", "validation loss", "valid loss", v?.Loss, "F4"),
            new("validationAccuracy", "validation accuracy", "accuracy", v?.Accuracy, "F4"),
            new("validationAuc", "validation AUC", "AUC", v?.Auc, "F4"),
            new("validationLogLoss", "validation log-loss (bits)", "log-loss", v?.LogLoss, "F4"),
            new("validationPredictedPositive", "predicted positive", "pred. pos.", v?.PositiveRate, "P1"),
            new("majorityBaseline", "majority rate", "majority", v?.MajorityBaseline, "P1"),
            new("imagesPerSecond", "images/s", "images/s", ImagesPerSecond, "F0"),
            new("seconds", "seconds", "s", Seconds, "F1"),
        ];
    }

    /// <summary>
    /// The one line that describes this epoch, as the training log and the command line print it: training loss and
    /// accuracy, learning rate, validation loss, accuracy, AUC and share predicted positive against the majority rate,
    /// images per second and seconds. <paramref name="epochs"/> is the run's epoch count.
    /// </summary>
    public string Describe(int epochs)
    {
        var line = string.Create(CultureInfo.InvariantCulture,
            $"Epoch {Epoch}/{epochs}: training loss {TrainingLoss:F4}, training accuracy {TrainingAccuracy:F4}, learning rate {LearningRate:G3}");
        if (Validation is { } v)
            line += string.Create(CultureInfo.InvariantCulture,
                $", validation loss {v.Loss:F4}, accuracy {v.Accuracy:F4}, AUC {v.Auc:F4}, predicted positive {v.PositiveRate:P1} (majority rate {v.MajorityBaseline:P1})");
        return line + string.Create(CultureInfo.InvariantCulture, $" ({ImagesPerSecond:F0} images/s, {Seconds:F1} s)");
    }

    /// <summary>The same record with <paramref name="alarms"/> added.</summary>
    public EpochRecord WithAlarms(IEnumerable<Alarm> alarms) => this with { Alarms = Alarms.Concat(alarms).ToArray() };
}
