namespace MlNetCnn.Diagnostics;

/// <summary>
/// Decides, from plain metrics, which alarms an epoch raises. Each code is raised at most once per run.
/// </summary>
internal sealed class AlarmMonitor
{
    /// <summary>Epochs in a row at the majority rate, with falling loss, before CNN002.</summary>
    public const int StuckEpochs = 3;

    /// <summary>Probability spread below which predictions count as collapsed (CNN001).</summary>
    public const double CollapsedSpread = 1e-3;

    /// <summary>Validation AUC below which labels look inverted (CNN003).</summary>
    public const double InvertedAuc = 0.3;

    /// <summary>Validation rows of each class needed before CNN003 trusts an AUC.</summary>
    public const int MinimumRowsPerClassForAuc = 5;

    /// <summary>Unreadable rows named in CNN009's message; the rest are counted.</summary>
    public const int MaxRowsNamed = 3;

    // A row's description in CNN009 is cut to this many characters, so the message stays one readable line.
    private const int MaxRowTextLength = 300;

    /// <summary>
    /// CNN010: a loss more than this many times an untrained network's is unstable training. An untrained binary network
    /// predicts about ½ for every image, a loss of ln 2 ≈ 0.693 nats; a healthy run only goes down from there (the
    /// worst batch of healthy runs measured on Fashion-MNIST, from 1e-4 to 3e-3, was 1.09 times it). Four times it,
    /// 2.77 nats, means a geometric-mean probability of the right class below 1/16 over at least
    /// <see cref="MinimumImagesPerLossWindow"/> images: confidently wrong, which only a network thrown about by its
    /// steps is (learning rates of 1 to 50 gave 5.7 to over 10,000 times it).
    /// </summary>
    public const double UnstableLossFactor = 4;

    /// <summary>
    /// CNN010 judges the training loss over windows of consecutive batches holding at least this many images, so that
    /// with small batches one hard image cannot raise it alone: it would need a loss of 44 nats.
    /// </summary>
    public const int MinimumImagesPerLossWindow = 16;

    /// <summary>A share predicted positive at most this (or at least 1 minus it) counts as all-negative (all-positive) for CNN010's swing.</summary>
    public const double OneSidedShare = 0.01;

    /// <summary>An untrained network's loss per image, predicting ½ for every image: ln 2 nats.</summary>
    public static readonly double UntrainedLoss = Math.Log(2);

    private readonly HashSet<string> raised = new(StringComparer.Ordinal);

    /// <summary>Alarms raised after <paramref name="current"/>, given the epochs before it in <paramref name="history"/>.</summary>
    /// <param name="history">The epochs before.</param>
    /// <param name="current">The epoch just done.</param>
    /// <param name="epochs">Epochs planned.</param>
    /// <param name="peak">The epoch's highest training loss over a window of batches, for CNN010.</param>
    /// <param name="learningRateAdvice">CNN010's last sentence: the learning rate by name and value, and what to try.</param>
    public IReadOnlyList<Alarm> AfterEpoch(IReadOnlyList<EpochRecord> history, EpochRecord current, int epochs, LossPeak peak, string learningRateAdvice)
    {
        var alarms = new List<Alarm>();
        var e = current.Epoch;
        if (UnstableSigns(history, current, peak) is { } signs)
            Raise(alarms, AlarmCodes.Unstable, e, $"unstable training: after epoch {e}, {signs}, where an untrained network's loss is about " +
                $"{peak.UntrainedLoss:F3} (ln 2 per image; more than {UnstableLossFactor:G} times that is far off). {learningRateAdvice}");
        if (current.Validation is not { } v)
            return alarms;

        if (!v.HasBothClasses)
        {
            Raise(alarms, AlarmCodes.OneClass, e,
                $"the validation set holds only {(v.Positives == 0 ? "negative" : "positive")} rows ({v.Count}), so AUC is undefined (reported as NaN) " +
                "and accuracy cannot tell a useless classifier from a good one. Give the validation set examples of both classes.");
            return alarms;
        }

        // The first epoch may still be finding its feet; judge collapse from the second (or the only) epoch on.
        if (e >= Math.Min(2, epochs) && (v.PositiveRate is 0 or 1 || v.ProbabilitySpread < CollapsedSpread))
            Raise(alarms, AlarmCodes.CollapsedPredictions, e,
                $"collapsed predictions: after epoch {e}, {v.PositiveRate:P0} of the {v.Count} validation images are predicted positive " +
                $"(probability spread {v.ProbabilitySpread:F4}). Every image gets the same answer: check that the labels vary and match the images, " +
                "lower the learning rate, or train longer.");

        if (v.Positives >= MinimumRowsPerClassForAuc && v.Count - v.Positives >= MinimumRowsPerClassForAuc && v.Auc < InvertedAuc)
            Raise(alarms, AlarmCodes.InvertedLabels, e,
                $"inverted labels: validation AUC is {v.Auc:F3} after epoch {e}, well below 0.5: the network ranks negatives above positives. " +
                "The positive class is probably the wrong one in the training or the validation labels: check which class is 'true' in each.");

        var window = history.Append(current).TakeLast(StuckEpochs).ToList();
        if (window.Count == StuckEpochs && window.All(r => r.Validation is { } w && AtMajorityRate(w)) && window[^1].TrainingLoss < window[0].TrainingLoss)
            Raise(alarms, AlarmCodes.LossFallsAccuracyDoesNot, e,
                $"loss falls, accuracy does not: training loss fell from {window[0].TrainingLoss:F4} to {window[^1].TrainingLoss:F4} over epochs " +
                $"{window[0].Epoch}–{e}, but validation accuracy stayed at {v.Accuracy:P1}, no better than always predicting the majority class ({v.MajorityBaseline:P1}). " +
                "Check that validation labels mean what training labels mean, that validation images get the same preprocessing, " +
                "and that predictions come from sigmoid(score) >= threshold, never argmax over one column.");
        return alarms;
    }

    /// <summary>What CNN010 saw after an epoch, in words; null when nothing says the run is unstable.</summary>
    private static string? UnstableSigns(IReadOnlyList<EpochRecord> history, EpochRecord current, LossPeak peak)
    {
        var signs = new List<string>();
        if (peak.Loss > UnstableLossFactor * peak.UntrainedLoss)
            signs.Add($"the training loss reached {peak.Loss:G4} (mean over the {peak.Images} images up to batch {peak.Batch}; the epoch's mean {current.TrainingLoss:G4})");
        var v = current.Validation;
        if (v is not null && v.Loss > UnstableLossFactor * UntrainedLoss)
            signs.Add($"the validation loss was {v.Loss:G4}");
        var before = history.Count > 0 ? history[^1].Validation : null;
        var swung = before is not null && v is not null && Side(before) is { } from && Side(v) is { } to && from != to;
        if (swung)
            signs.Add($"the validation predictions swung from all {Side(before!)} (epoch {history[^1].Epoch}) to all {Side(v!)}");
        if (signs.Count == 0)
            return null;
        // Collapse at epoch 1 is told here too: CNN001 waits for the second epoch.
        if (!swung && v is not null && Side(v) is not null)
            signs.Add($"and the validation predictions collapsed: {v.PositiveRate:P1} of the {v.Count} images predicted positive");
        return string.Join(", ", signs);
    }

    private static string? Side(BinaryMetrics v) =>
        v.PositiveRate <= OneSidedShare ? "negative" : v.PositiveRate >= 1 - OneSidedShare ? "positive" : null;

    /// <summary>
    /// CNN010 as an error, when the learnability check failed because its loss rose to <paramref name="peak"/> (at
    /// <paramref name="step"/>), more than <see cref="UnstableLossFactor"/> times its first, untrained loss; null otherwise.
    /// </summary>
    public Alarm? UnstableProbe(int images, double first, double peak, int step, double last, string learningRateAdvice) =>
        !(peak > UnstableLossFactor * first) ? null : Make(AlarmCodes.Unstable, 0,
            $"unstable training: in the learnability check, before epoch 1, the loss on {images} training images rose from {first:F3} (untrained) " +
            $"to {peak:G4} at step {step} and ended at {last:F3} instead of halving: the steps throw the network about. {learningRateAdvice}", AlarmSeverity.Error);

    /// <summary>CNN005, when the largest input value is above 1.</summary>
    public Alarm? UnscaledInput(float maximum) => maximum <= 1f + 1e-6f ? null : Make(AlarmCodes.UnscaledInput, 0,
        $"unscaled input: pixel values reach {maximum:G4}, above 1. The images were probably left at 0–255: " +
        "pass scaleImage: 1f / 255 to ExtractPixels (or divide the features by 255).");

    /// <summary>CNN006, when every training row is the same image.</summary>
    public Alarm? NoVariance(bool allRowsIdentical, int rows) => !allRowsIdentical ? null : Make(AlarmCodes.NoVariance, 0,
        $"no variance: all {rows} training images are identical. Images that failed to load, blank images, or the wrong feature column " +
        "give this: check the image paths and the column the estimator reads.");

    /// <summary>CNN009, when rows were left out because they could not be read; names the first few.</summary>
    public Alarm? UnreadableRows(IReadOnlyList<UnreadableRow> training, int trainingRows, IReadOnlyList<UnreadableRow> validation, int validationRows)
    {
        if (training.Count + validation.Count == 0)
            return null;
        var counts = new List<string>();
        if (training.Count > 0) counts.Add($"{training.Count:N0} of {trainingRows:N0} training rows");
        if (validation.Count > 0) counts.Add($"{validation.Count:N0} of {validationRows:N0} validation rows");
        var first = training.Concat(validation).Take(MaxRowsNamed).Select(r => Shorten(r.ToString()));
        var more = training.Count + validation.Count > MaxRowsNamed ? "; …" : "";
        return Make(AlarmCodes.UnreadableRows, 0,
            $"unreadable rows: {string.Join(" and ", counts)} could not be read and were left out (SkipUnreadableRows): {string.Join("; ", first)}{more}. " +
            "Training used the rest; fix or remove those images.");
    }

    private static string Shorten(string text) => text.Length <= MaxRowTextLength ? text : text[..(MaxRowTextLength - 1)] + "…";

    /// <summary>Whether accuracy is within two standard errors of the majority-class rate (or below it).</summary>
    public static bool AtMajorityRate(BinaryMetrics v)
    {
        var standardError = Math.Sqrt(v.MajorityBaseline * (1 - v.MajorityBaseline) / v.Count);
        return v.Accuracy <= v.MajorityBaseline + Math.Max(0.01, 2 * standardError);
    }

    /// <summary>An alarm of <paramref name="code"/>, its message starting with the code; it counts as raised.</summary>
    public Alarm Make(string code, int epoch, string text, AlarmSeverity severity = AlarmSeverity.Warning)
    {
        raised.Add(code);
        return new Alarm(code, severity, epoch, $"{code} {text}");
    }

    private void Raise(List<Alarm> alarms, string code, int epoch, string text)
    {
        if (!raised.Contains(code))
            alarms.Add(Make(code, epoch, text));
    }
}
