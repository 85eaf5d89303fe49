namespace MlNetCnn.Diagnostics;

/// <summary>One step of the learning-rate range test: the rate it trained at and the loss it saw. Plain data.</summary>
/// <param name="LearningRate">Adam's learning rate of this step.</param>
/// <param name="Loss">The batch's mean binary cross-entropy before the step, in nats.</param>
/// <param name="SmoothedLoss">The exponentially smoothed loss up to this step (bias-corrected), what the suggestion reads.</param>
public sealed record LearningRatePoint(double LearningRate, double Loss, double SmoothedLoss);
