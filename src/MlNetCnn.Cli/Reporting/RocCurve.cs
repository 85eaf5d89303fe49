namespace MlNetCnn.Cli.Reporting;

/// <summary>The ROC curve of scores against labels: one point per distinct threshold, from (0, 0) to (1, 1).</summary>
internal static class RocCurve
{
    /// <summary>(false-positive rate, true-positive rate) points, thresholds descending; tied scores make one step.</summary>
    public static IReadOnlyList<(double FalsePositiveRate, double TruePositiveRate)> Points(IReadOnlyList<float> scores, IReadOnlyList<bool> labels)
    {
        var order = Enumerable.Range(0, scores.Count).OrderByDescending(i => scores[i]).ToArray();
        var positives = labels.Count(l => l);
        var negatives = labels.Count - positives;
        var points = new List<(double, double)> { (0, 0) };
        if (positives == 0 || negatives == 0)
            return points;
        int truePositives = 0, falsePositives = 0;
        for (var k = 0; k < order.Length; k++)
        {
            if (labels[order[k]]) truePositives++;
            else falsePositives++;
            if (k + 1 == order.Length || scores[order[k + 1]] != scores[order[k]])
                points.Add(((double)falsePositives / negatives, (double)truePositives / positives));
        }
        return points;
    }

    /// <summary>The (false-positive rate, true-positive rate) of predicting positive when the score is at least <paramref name="threshold"/>; 0 for a class with no images.</summary>
    public static (double FalsePositiveRate, double TruePositiveRate) At(IReadOnlyList<float> scores, IReadOnlyList<bool> labels, float threshold)
    {
        int positives = 0, negatives = 0, truePositives = 0, falsePositives = 0;
        for (var i = 0; i < scores.Count; i++)
        {
            if (labels[i]) positives++;
            else negatives++;
            if (scores[i] >= threshold)
            {
                if (labels[i]) truePositives++;
                else falsePositives++;
            }
        }
        return (negatives == 0 ? 0 : (double)falsePositives / negatives, positives == 0 ? 0 : (double)truePositives / positives);
    }
}
