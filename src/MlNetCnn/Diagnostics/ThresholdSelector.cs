
namespace MlNetCnn.Diagnostics;

/// <summary>Chooses a probability threshold on labelled scores. Plain arithmetic.</summary>
public static class ThresholdSelector
{
    /// <summary>
    /// The threshold in [0, 1] that maximises the chosen criterion, placed midway between adjacent distinct
    /// probabilities; <paramref name="fallback"/> for <see cref="ThresholdSelection.Fixed"/> or one class only.
    /// </summary>
    public static float Choose(ReadOnlySpan<float> logits, ReadOnlySpan<bool> labels, ThresholdSelection selection, float fallback)
    {
        if (selection == ThresholdSelection.Fixed)
            return fallback;
        var n = logits.Length;
        var probabilities = new float[n];
        for (var i = 0; i < n; i++) probabilities[i] = BinaryMetrics.Sigmoid(logits[i]);
        var order = Enumerable.Range(0, n).ToArray();
        Array.Sort(probabilities.ToArray(), order);
        var positives = 0;
        foreach (var label in labels) if (label) positives++;
        var negatives = n - positives;
        if (positives == 0 || negatives == 0)
            return fallback;

        // Threshold below every row: all predicted positive. Walk up through the sorted rows, moving each below the threshold.
        int truePositives = positives, falsePositives = negatives;
        var best = Criterion(selection, truePositives, falsePositives, positives, negatives);
        var bestThreshold = 0f;
        for (var k = 0; k < n; k++)
        {
            if (labels[order[k]]) truePositives--; else falsePositives--;
            var current = probabilities[order[k]];
            var next = k + 1 < n ? probabilities[order[k + 1]] : 1f;
            if (next == current && k + 1 < n)
                continue; // ties move together
            var value = Criterion(selection, truePositives, falsePositives, positives, negatives);
            if (value > best)
            {
                best = value;
                bestThreshold = k + 1 < n ? current + (next - current) / 2 : MathF.BitIncrement(current);
            }
        }
        return Math.Clamp(bestThreshold, 0f, 1f);
    }

    private static double Criterion(ThresholdSelection selection, int tp, int fp, int positives, int negatives)
    {
        if (selection == ThresholdSelection.YoudensJ)
            return (double)tp / positives - (double)fp / negatives;
        var fn = positives - tp;
        return tp == 0 ? 0 : 2.0 * tp / (2.0 * tp + fp + fn);
    }
}
