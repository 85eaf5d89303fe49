namespace MlNetCnn.Diagnostics;

/// <summary>The stable codes of training alarms.</summary>
public static class AlarmCodes
{
    /// <summary>Collapsed predictions: every validation row gets the same class, or nearly the same probability.</summary>
    public const string CollapsedPredictions = "CNN001";

    /// <summary>Training loss falls while validation accuracy stays at the majority-class rate: the question's symptom.</summary>
    public const string LossFallsAccuracyDoesNot = "CNN002";

    /// <summary>Validation AUC well below 0.5: the positive class is probably the wrong one.</summary>
    public const string InvertedLabels = "CNN003";

    /// <summary>The loss became NaN or infinite; training stops.</summary>
    public const string Diverged = "CNN004";

    /// <summary>Pixel values above 1: the input was probably left at 0–255.</summary>
    public const string UnscaledInput = "CNN005";

    /// <summary>Every input row is the same image.</summary>
    public const string NoVariance = "CNN006";

    /// <summary>One class only: an error in training data; AUC undefined in validation data.</summary>
    public const string OneClass = "CNN007";

    /// <summary>The loss cannot fall even on one small batch; training stops.</summary>
    public const string NotLearnable = "CNN008";

    /// <summary>Rows left out because their image could not be read (only with SkipUnreadableRows).</summary>
    public const string UnreadableRows = "CNN009";

    /// <summary>
    /// Unstable training: the loss rose far above an untrained network's (on training batches, on the validation set, or in
    /// the learnability check), or the validation predictions swung from all-positive to all-negative. The learning rate
    /// is the usual cause.
    /// </summary>
    public const string Unstable = "CNN010";

    /// <summary>Every code, in order.</summary>
    public static IReadOnlyList<string> All { get; } = new[]
    {
        CollapsedPredictions, LossFallsAccuracyDoesNot, InvertedLabels, Diverged, UnscaledInput, NoVariance, OneClass, NotLearnable, UnreadableRows, Unstable,
    };
}
