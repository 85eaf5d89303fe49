using System.Globalization;
using MlNetCnn.Diagnostics;
using static TorchSharp.torch;

namespace MlNetCnn.Training;

/// <summary>
/// <see cref="CnnOptions.AverageWeights"/> on the callback seam: an exponential moving average of the network's state
/// (weights and batch-norm statistics), updated after every training step; when training ends, after early stopping
/// has put its weights back, the average is measured on the validation set and takes the network's place when it
/// measures better by <see cref="CnnOptions.EarlyStoppingMetric"/> (without validation rows it always does).
/// </summary>
/// <param name="decay">The average's weight on its past at each step (<see cref="CnnOptions.WeightAverageDecay"/>).</param>
/// <param name="metric">What "measures better" means: <see cref="CnnOptions.EarlyStoppingMetric"/>.</param>
/// <param name="measure">Measures the network as it stands on the validation set; null without validation rows.</param>
/// <param name="kept">The metrics of the weights the network holds when training ends (the last or the restored epoch's).</param>
/// <param name="log">The training log.</param>
internal sealed class WeightAverageCallback(double decay, ValidationMetric metric, Func<BinaryMetrics>? measure, Func<BinaryMetrics?> kept, Action<string> log)
    : ITrainingCallback, IDisposable
{
    // Early steps weigh the average less, as in TensorFlow's ExponentialMovingAverage with num_updates: an average of
    // the first few steps is not dominated by the untrained start.
    private const double WarmupOffset = 10;

    private readonly List<(Tensor Live, Tensor Average, bool Floating)> pairs = [];
    private long steps;

    /// <summary>Whether the network holds the average after training.</summary>
    public bool Kept { get; private set; }

    /// <summary>The average's validation metrics when it was measured; null before.</summary>
    public BinaryMetrics? Measured { get; private set; }

    public void OnTrainingBegin(TrainingContext context)
    {
        using var noGrad = no_grad();
        foreach (var (_, live) in context.Network.Module.state_dict())
            pairs.Add((live, live.detach().clone(), live.is_floating_point()));
    }

    public void OnBatchEnd(TrainingContext context)
    {
        steps++;
        var d = Math.Min(decay, (1.0 + steps) / (WarmupOffset + steps));
        using var noGrad = no_grad();
        foreach (var (live, average, floating) in pairs)
        {
            if (floating)
                average.mul_(d).add_(live, alpha: 1 - d);
            else
                average.copy_(live);
        }
    }

    public void OnTrainingEnd(TrainingContext context)
    {
        if (steps == 0)
            return;
        var backup = pairs.Select(p => p.Live.detach().clone()).ToArray();
        try
        {
            Swap(average: true, backup);
            if (measure is null)
            {
                Kept = true;
                log($"Weight average (decay {decay.ToString(CultureInfo.InvariantCulture)}) kept as the model: no validation rows to compare it on.");
                return;
            }
            var averaged = measure();
            Measured = averaged;
            var current = kept();
            var a = MetricTracker.Read(metric, averaged);
            Kept = current is null || MetricTracker.IsBetter(metric, a, MetricTracker.Read(metric, current));
            var against = current is null ? "nothing" : MetricTracker.Read(metric, current).ToString("F4", CultureInfo.InvariantCulture);
            log(string.Create(CultureInfo.InvariantCulture,
                $"Weight average (decay {decay}): validation {metric} {a:F4}, accuracy {averaged.Accuracy:F4}, AUC {averaged.Auc:F4}, against {against} for the trained weights: ") +
                (Kept ? "the average is kept as the model." : "the trained weights are kept."));
            if (!Kept)
                Swap(average: false, backup);
        }
        finally
        {
            foreach (var tensor in backup)
                tensor.Dispose();
        }
    }

    private void Swap(bool average, Tensor[] backup)
    {
        using var noGrad = no_grad();
        for (var i = 0; i < pairs.Count; i++)
            pairs[i].Live.copy_(average ? pairs[i].Average : backup[i]);
    }

    public void Dispose()
    {
        // The live tensors are the module's own (state_dict hands out its parameters and buffers): only the copies are ours.
        foreach (var (_, average, _) in pairs)
            average.Dispose();
        pairs.Clear();
    }
}
