using System.Diagnostics;
using MlNetCnn.Data;
using MlNetCnn.Diagnostics;
using MlNetCnn.Network;
using MlNetCnn.NetworkKinds;
using static TorchSharp.torch;
using MlNetCnn.Precisions;

namespace MlNetCnn.Training;

/// <summary>
/// The learning-rate range test (Smith, "Cyclical Learning Rates for Training Neural Networks", 2017; fastai's
/// <c>lr_find</c>): a fresh network — the one Fit would start from, same seed — takes one Adam step per batch while
/// the rate rises exponentially from a start to an end rate; the smoothed loss against the rate shows where learning
/// is fastest and where it blows up. The network and optimiser are thrown away afterwards; nothing global is left
/// changed that a following Fit reads (Fit seeds its own network and draws its batches from its own seed).
/// </summary>
internal sealed class LearningRateFinder
{
    /// <summary>
    /// Weight of the past in the smoothed loss: about the last 10 batches, a tenth of the test. fastai's 0.98 (about 50
    /// batches, half the test) lagged so far behind on Fashion-MNIST that the smoothed loss was still falling at the
    /// last rate, and the suggestion was the end rate's tenth whatever the curve.
    /// </summary>
    public const double Smoothing = 0.9;

    /// <summary>The test stops once the smoothed loss is more than this many times its lowest.</summary>
    public const double BlowUpFactor = 4;

    /// <summary>The suggestion is the rate at the lowest smoothed loss divided by this.</summary>
    public const double SuggestionDivisor = 10;

    // The batches' order has its own seed, apart from the epochs' (CnnTrainer.EpochSeed).
    private const uint OrderSeedSalt = 0x6c72_6669; // "lrfi"

    private readonly CnnOptions options;
    private readonly int seed;
    private readonly NetworkKind kind;

    /// <param name="options">The run's options.</param>
    /// <param name="seed">The run's seed.</param>
    /// <param name="kind">The network the options name, when the caller has it already.</param>
    public LearningRateFinder(CnnOptions options, int seed, NetworkKind? kind = null)
    {
        this.options = options;
        this.seed = seed;
        this.kind = kind ?? NetworkKind.Of(options);
    }

    /// <summary>Runs the test on the training rows of <paramref name="train"/>.</summary>
    public LearningRateFinderResult Run(TrainingData train, double startRate, double endRate, int maxBatches)
    {
        var clock = Stopwatch.StartNew();
        var g = train.Geometry;
        var random = new Random(unchecked((int)((uint)seed ^ OrderSeedSalt)));
        // As many rows as the test can use, so that streamed data decodes no more than that.
        var rows = (int[])train.TrainPositions.Clone();
        random.Shuffle(rows);
        if (rows.Length > (long)maxBatches * options.BatchSize)
            rows = rows[..(maxBatches * options.BatchSize)];
        var growth = maxBatches == 1 ? 1 : Math.Pow(endRate / startRate, 1.0 / (maxBatches - 1));
        var augmenter = new Augmenter(options.RandomHorizontalFlip, options.RandomShiftPixels);
        var points = new List<LearningRatePoint>(maxBatches);
        var stoppedEarly = false;

        using var rig = TrainingRig.Build(kind, options, seed, train);
        using var optimizer = rig.NewOptimizer(startRate, options.WeightDecay);
        var step = rig.NewStep(optimizer);
        double average = 0, lowest = double.PositiveInfinity;
        // Records the batch's loss at this rate; true when the test goes on (so the step is taken).
        bool Record(float value, double rate)
        {
            average = Smoothing * average + (1 - Smoothing) * value;
            var smoothed = average / (1 - Math.Pow(Smoothing, points.Count + 1));
            points.Add(new LearningRatePoint(rate, value, smoothed));
            lowest = Math.Min(lowest, smoothed);
            stoppedEarly = smoothed > BlowUpFactor * lowest;
            return !stoppedEarly && points.Count < maxBatches;
        }
        while (points.Count < maxBatches && !stoppedEarly)
        {
            var order = (int[])rows.Clone();
            random.Shuffle(order);
            var took = false;
            foreach (var batch in train.Batches(order, options.BatchSize, options.CancellationToken))
            {
                options.CancellationToken.ThrowIfCancellationRequested();
                took = true;
                var rate = startRate * Math.Pow(growth, points.Count);
                optimizer.LearningRate = rate;
                augmenter.Apply(batch.Images, batch.Count, g, random);
                var value = step.Run(batch.Images, batch.Labels, batch.Count, default, update: loss => Record(loss, rate));
                if (!float.IsFinite(value))
                    stoppedEarly = true;
                if (stoppedEarly || points.Count == maxBatches)
                    break;
            }
            if (!took)
                throw new ArgumentException($"The range test needs a batch of at least 2 training rows; there are {rows.Length}.");
        }
        if (points.Count == 0)
            throw new InvalidOperationException(
                $"The range test's first batch already gave a loss that is not finite, at a learning rate of {startRate:G3}: check the input (pixels scaled to [0, 1]?).");

        var best = points.MinBy(p => p.SmoothedLoss)!;
        return new LearningRateFinderResult(points, best.LearningRate / SuggestionDivisor, best.LearningRate, points.Count, clock.Elapsed.TotalSeconds, stoppedEarly);
    }
}
