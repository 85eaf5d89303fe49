namespace MlNetCnn.Diagnostics;

/// <summary>The highest training loss of an epoch over a window of consecutive batches, beside an untrained network's. Plain data, for CNN010.</summary>
/// <param name="Loss">Mean loss per image over the window, in nats (negative infinity when the epoch had no batch).</param>
/// <param name="Batch">1-based number of the window's last batch.</param>
/// <param name="Images">Images in the window.</param>
/// <param name="UntrainedLoss">An untrained network's mean loss per training image: ln 2, weighted as the loss weighs positives.</param>
internal readonly record struct LossPeak(double Loss, int Batch, int Images, double UntrainedLoss);
