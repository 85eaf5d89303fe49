namespace MlNetCnn.Training;

/// <summary>Follows one metric across epochs: its best value, the epoch of it, and epochs since it improved.</summary>
internal sealed class MetricTracker
{
    private readonly ValidationMetric metric;
    private readonly double minDelta;
    private State state = new(null, 0, 0);

    /// <summary>What a checkpoint keeps of a tracker.</summary>
    public sealed record State(double? Best, int BestEpoch, int EpochsWithoutImprovement);

    public MetricTracker(ValidationMetric metric, double minDelta)
    {
        this.metric = metric;
        this.minDelta = minDelta;
    }

    public double? Best => state.Best;

    public int BestEpoch => state.BestEpoch;

    public int EpochsWithoutImprovement => state.EpochsWithoutImprovement;

    public State Snapshot => state;

    /// <summary>Records <paramref name="value"/>; returns whether it improved on the best by more than the minimum change.</summary>
    public bool Observe(double value, int epoch)
    {
        var improved = state.Best is not { } best || (HigherIsBetter ? value > best + minDelta : value < best - minDelta);
        // NaN (an undefined AUC) never improves.
        if (double.IsNaN(value)) improved = false;
        state = improved ? new State(value, epoch, 0) : state with { EpochsWithoutImprovement = state.EpochsWithoutImprovement + 1 };
        return improved;
    }

    public void ResetPatience() => state = state with { EpochsWithoutImprovement = 0 };

    public void Restore(State restored) => state = restored;

    private bool HigherIsBetter => metric != ValidationMetric.Loss;

    /// <summary>The value of <paramref name="metric"/> in <paramref name="metrics"/>.</summary>
    public static double Read(ValidationMetric metric, Diagnostics.BinaryMetrics metrics) => metric switch
    {
        ValidationMetric.Loss => metrics.Loss,
        ValidationMetric.Accuracy => metrics.Accuracy,
        ValidationMetric.Auc => metrics.Auc,
        _ => throw new ArgumentOutOfRangeException(nameof(metric)),
    };
}
