namespace MlNetCnn.Diagnostics;

/// <summary>
/// What <see cref="CnnEstimator.FindLearningRate"/> measured: the loss of a fresh network trained one batch per rate as
/// the rate rises exponentially, and the rate it suggests. Plain data.
/// </summary>
/// <param name="Curve">One point per batch, in the order run (rising rates).</param>
/// <param name="SuggestedLearningRate">
/// The suggestion: a tenth of the rate at the lowest smoothed loss (<see cref="MinimumLossLearningRate"/>), the
/// rule of Smith's range test as fastai applies it — at the minimum the loss is about to blow up, a tenth of it is
/// still on the steep, stable part of the curve.
/// </param>
/// <param name="MinimumLossLearningRate">The rate at which the smoothed loss was lowest.</param>
/// <param name="Batches">Batches run (training steps taken).</param>
/// <param name="Seconds">Wall-clock time of the test.</param>
/// <param name="StoppedEarly">True when the test stopped before its last rate because the smoothed loss blew up (above 4 times its lowest) or stopped being finite.</param>
public sealed record LearningRateFinderResult(
    IReadOnlyList<LearningRatePoint> Curve,
    double SuggestedLearningRate,
    double MinimumLossLearningRate,
    int Batches,
    double Seconds,
    bool StoppedEarly)
{
    /// <summary>How <see cref="SuggestedLearningRate"/> is chosen, in words (for logs and plots).</summary>
    public const string SuggestionRule = "a tenth of the rate at the lowest smoothed loss";
}
