using MlNetCnn.Diagnostics;
using MlNetCnn.Network;
using MlNetCnn.Precisions;

namespace MlNetCnn.Training;

/// <summary>What a training run produced.</summary>
/// <param name="Network">The trained network: the best epoch's weights when early stopping watched a metric.</param>
/// <param name="History">One record per epoch run.</param>
/// <param name="Threshold">The decision threshold: the option's, or the one chosen on validation.</param>
/// <param name="BestEpoch">The epoch whose weights the network holds.</param>
/// <param name="Precision">The precision training computed in, and why.</param>
internal sealed record TrainingResult(NetworkModule Network, IReadOnlyList<EpochRecord> History, float Threshold, int BestEpoch, PrecisionChoice Precision);
