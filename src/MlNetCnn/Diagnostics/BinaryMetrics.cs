namespace MlNetCnn.Diagnostics;

/// <summary>
/// Binary-classification metrics over a whole set of rows, computed from raw logits. Plain data.
/// </summary>
/// <param name="Count">Rows measured.</param>
/// <param name="Loss">Mean binary cross-entropy with logits, in nats: what training minimises.</param>
/// <param name="Accuracy">Share of rows whose predicted label (probability ≥ threshold) equals the label.</param>
/// <param name="Auc">Area under the ROC curve; <see cref="double.NaN"/> when the set holds one class only (undefined).</param>
/// <param name="LogLoss">Mean log-loss in bits, as ML.NET's evaluator reports it (probabilities clipped away from 0 and 1).</param>
/// <param name="PositiveRate">Share of rows predicted positive; 0 or 1 means the predictions collapsed.</param>
/// <param name="MajorityBaseline">Accuracy of always predicting the more common class: the rate a useless classifier gets.</param>
/// <param name="ProbabilitySpread">Standard deviation of the predicted probabilities; near 0 means every row gets the same answer.</param>
/// <param name="Positives">Rows labelled true.</param>
public sealed record BinaryMetrics(int Count, double Loss, double Accuracy, double Auc, double LogLoss, double PositiveRate, double MajorityBaseline, double ProbabilitySpread, int Positives)
{
    // ML.NET's evaluator clips probabilities by this much before taking logs.
    private const double LogLossEpsilon = 1e-15;

    /// <summary>Whether both classes are present, so that AUC is defined.</summary>
    public bool HasBothClasses => Positives > 0 && Positives < Count;

    /// <summary>Computes the metrics of <paramref name="logits"/> against <paramref name="labels"/> at <paramref name="threshold"/>.</summary>
    public static BinaryMetrics Compute(ReadOnlySpan<float> logits, ReadOnlySpan<bool> labels, float threshold)
    {
        if (logits.Length != labels.Length)
            throw new ArgumentException($"Got {logits.Length} scores for {labels.Length} labels.");
        var n = logits.Length;
        if (n == 0)
            throw new ArgumentException("Metrics need at least one row.");

        double loss = 0, logLoss = 0, probabilitySum = 0, probabilitySquares = 0;
        int correct = 0, predictedPositive = 0, positives = 0;
        for (var i = 0; i < n; i++)
        {
            double z = logits[i];
            var y = labels[i] ? 1.0 : 0.0;
            // Stable BCE with logits: max(z, 0) - z·y + log(1 + e^-|z|).
            loss += Math.Max(z, 0) - z * y + Math.Log(1 + Math.Exp(-Math.Abs(z)));
            var p = Sigmoid(logits[i]);
            var pTrue = Math.Clamp(labels[i] ? p : 1 - p, LogLossEpsilon, 1);
            logLoss -= Math.Log2(pTrue);
            probabilitySum += p;
            probabilitySquares += (double)p * p;
            var predicted = p >= threshold;
            if (predicted) predictedPositive++;
            if (predicted == labels[i]) correct++;
            if (labels[i]) positives++;
        }
        var mean = probabilitySum / n;
        var spread = Math.Sqrt(Math.Max(0, probabilitySquares / n - mean * mean));
        return new BinaryMetrics(
            n,
            loss / n,
            (double)correct / n,
            RocAuc(logits, labels),
            logLoss / n,
            (double)predictedPositive / n,
            (double)Math.Max(positives, n - positives) / n,
            spread,
            positives);
    }

    /// <summary>The logistic function, as the transformer applies it to <c>Score</c>.</summary>
    public static float Sigmoid(float logit) => 1f / (1f + MathF.Exp(-logit));

    /// <summary>ROC AUC by the rank-sum (Mann–Whitney) formula, ties counted half; NaN with one class.</summary>
    public static double RocAuc(ReadOnlySpan<float> scores, ReadOnlySpan<bool> labels)
    {
        var order = new int[scores.Length];
        for (var i = 0; i < order.Length; i++) order[i] = i;
        var keys = scores.ToArray();
        Array.Sort(keys, order);

        long positives = 0;
        double positiveRankSum = 0;
        for (var start = 0; start < order.Length;)
        {
            var end = start;
            while (end + 1 < order.Length && keys[end + 1] == keys[start]) end++;
            var averageRank = (start + end) / 2.0 + 1;
            for (var k = start; k <= end; k++)
            {
                if (labels[order[k]])
                {
                    positives++;
                    positiveRankSum += averageRank;
                }
            }
            start = end + 1;
        }
        long negatives = order.Length - positives;
        if (positives == 0 || negatives == 0)
            return double.NaN;
        return (positiveRankSum - positives * (positives + 1) / 2.0) / ((double)positives * negatives);
    }
}
