using System.Diagnostics;
using Microsoft.ML.Runtime;
using MlNetCnn.Data;
using MlNetCnn.Diagnostics;
using MlNetCnn.Network;
using MlNetCnn.NetworkKinds;
using TorchSharp;
using static TorchSharp.torch;
using MlNetCnn.Precisions;
using MlNetCnn.Persistence;

namespace MlNetCnn.Training;

/// <summary>
/// The training loop: checks before the run, then epochs of shuffled mini-batches, each followed by a measurement
/// over the whole validation set, alarms, the schedule, early stopping and a checkpoint.
/// </summary>
internal sealed class CnnTrainer
{
    // The learnability check (CNN008): a few rows of each class, at most NetworkKind.LearnabilitySteps steps (it stops
    // as soon as the loss has halved, usually within a few), at the user's learning rate or Adam's usual one if that is larger: the check
    // asks whether the data can be fitted at all, and a small learning rate must not fail it.
    private const int ProbeRowsPerClass = 8;
    private const double ProbeRequiredFall = 0.5;
    private const double ProbeMinimumLearningRate = 1e-3;

    private readonly IChannel channel;
    private readonly CnnOptions options;
    private readonly int seed;
    private readonly AlarmMonitor monitor = new();
    private readonly List<EpochRecord> history = new();
    private PrecisionChoice precision = new(Precision.Float32, "Precision Float32.");

    private readonly NetworkKind kind;
    private ImageGeometry geometry;

    public CnnTrainer(IChannel channel, CnnOptions options, int seed, NetworkKind? kind = null, Stopwatch? fitClock = null)
    {
        this.channel = channel;
        this.options = options;
        this.seed = seed;
        this.kind = kind ?? NetworkKind.Of(options);
        this.fitClock = fitClock ?? Stopwatch.StartNew();
    }

    // Started when Fit began: a time budget counts from there.
    private readonly Stopwatch fitClock;

    /// <summary>Trains a new network on <paramref name="train"/>, measuring <paramref name="validation"/> after every epoch.</summary>
    public TrainingResult Fit(TrainingData train, ValidationData? validation)
    {
        geometry = train.Geometry;
        var inputAlarms = CheckInputs(train, validation);
        using var rig = TrainingRig.Build(kind, options, seed, train);
        precision = rig.Precision;
        if (options.Precision != Precision.Float32)
            channel.Info(precision.Reason);
        var result = Run(rig, train, validation, inputAlarms);
        rig.TakeNetwork();
        return result;
    }

    private TrainingResult Run(TrainingRig rig, TrainingData train, ValidationData? validation, IReadOnlyList<Alarm> inputAlarms)
    {
        var network = rig.Network;
        using var optimizer = rig.NewOptimizer(options.LearningRate, options.WeightDecay);
        var plan = new LearningRatePlan(options, validation is not null);
        var earlyStopping = new EarlyStoppingCallback(options, channel.Info);
        var store = options.CheckpointFolder is { } folder ? new CheckpointStore(folder, precision.Precision) : null;
        var fingerprint = train.CheckpointFingerprint(kind.Identity, seed, options.BatchSize);
        var unreadable = train.UnreadableWith(validation);
        var firstEpoch = 1;

        if (options.ResumeFromCheckpoint && store?.Restore(network.Module, optimizer, fingerprint) is var (state, best))
        {
            history.AddRange(state.History);
            plan.Restore(state.PlateauRate, state.Plateau);
            earlyStopping.Restore(state.EarlyStopping, best);
            firstEpoch = state.EpochsDone + 1;
            channel.Info($"Resuming after epoch {state.EpochsDone} from {store.Newest()}.");
        }
        else if (options.CheckLearnable)
        {
            CheckLearnable(rig, train);
        }

        var untrainedLoss = network.Task.UntrainedLoss(options, train);
        var augmenter = new Augmenter(options.RandomHorizontalFlip, options.RandomShiftPixels);
        var step = rig.NewStep(optimizer);
        var order = (int[])train.TrainPositions.Clone();
        // The built-in policies are callbacks on the same seam as the user's, in this order: the schedule first (so
        // that a user's callback can override its rate), early stopping, checkpoints; then the user's; progress last.
        var threshold = new ThresholdCallback(this, network, validation);
        // Passes over the validation rows after the last epoch: the threshold's choice.
        var finalPasses = validation is not null && options.ThresholdSelection != ThresholdSelection.Fixed ? 1 : 0;
        var budget = options.UsesTimeBudget ? new TimeBudgetCallback(options.TrainingTime!.Value, plan, finalPasses, channel.Info, channel.Warning) : null;
        if (options.TrainingTime is not null && budget is null)
            channel.Info($"Epochs = {options.Epochs} given: the time budget (TrainingTime) is not used.");
        // The time budget comes first: it fixes the epochs, and sizes the schedule, before anyone reads them.
        ITrainingCallback[] callbacks =
        [
            .. budget is null ? Array.Empty<ITrainingCallback>() : [budget],
            new ScheduleCallback(plan, options),
            earlyStopping,
            .. store is null ? Array.Empty<ITrainingCallback>() : [new CheckpointCallback(store, seed, fingerprint, plan, earlyStopping, optimizer, unreadable)],
            threshold,
            .. kind.TrainingCallbacks(),
            .. options.Callbacks,
            .. options.Progress is { } progress ? [new ProgressCallback(progress)] : Array.Empty<ITrainingCallback>(),
        ];
        var context = new TrainingContext(options.Epochs, BatchCount(train.TrainCount), options.LearningRate, history,
            new TrainingNetwork(network), new TrainingOptimizer(optimizer), precision.Precision, precision.Reason, budget is null ? null : options.TrainingTime, fitClock)
        {
            Epoch = firstEpoch - 1,
        };
        foreach (var callback in callbacks)
            callback.OnTrainingBegin(context);
        for (var epoch = firstEpoch; epoch <= context.Epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            context.BeginEpoch(epoch);
            foreach (var callback in callbacks)
                callback.OnEpochBegin(context);
            var rate = context.LearningRate;
            // Each epoch's randomness comes from (seed, epoch) alone, so a resumed run draws what an unbroken one would.
            var random = new Random(EpochSeed(epoch));
            Array.Sort(order);
            random.Shuffle(order);

            var pass = TrainEpoch(epoch, step, optimizer, context, callbacks, train, order, augmenter, random);
            var loss = pass.MeanLoss;
            var trainSeconds = clock.Elapsed.TotalSeconds;
            RefreshBatchNorm(network, train);
            var metrics = validation is null ? null : Measure(network, validation);
            var record = new EpochRecord(epoch, loss, metrics, rate, clock.Elapsed.TotalSeconds, pass.Images / Math.Max(trainSeconds, 1e-9), Array.Empty<Alarm>())
            {
                TrainingAccuracy = pass.Accuracy,
            };
            if (epoch == 1)
                record = record.WithAlarms(inputAlarms);
            record = record.WithAlarms(monitor.AfterEpoch(history, record, context.Epochs, pass.Peak with { UntrainedLoss = untrainedLoss }, LearningRateAdvice(rate)));
            history.Add(record);
            context.EndEpoch();
            channel.Info(record.Describe(context.Epochs));
            foreach (var alarm in record.Alarms.Where(a => a.Epoch == epoch))
                Raise(alarm);

            foreach (var callback in callbacks)
                callback.OnEpochEnd(context);
            if (context.StopRequested)
            {
                if (epoch < context.Epochs && budget?.StoppedAfter != epoch)
                    channel.Info($"Training stopped after epoch {epoch} of {context.Epochs}, as {context.StopReason ?? "a callback"} asked.");
                break;
            }
        }

        foreach (var callback in callbacks)
            callback.OnTrainingEnd(context);
        var bestEpoch = earlyStopping.RestoredEpoch ?? (history.Count == 0 ? 0 : history[^1].Epoch);
        return new TrainingResult(network, history.ToArray(), threshold.Threshold, bestEpoch, precision);
    }

    /// <summary>Threshold choice on the callback seam: once the kept weights are in place, the threshold is chosen on validation (or the option's is kept).</summary>
    private sealed class ThresholdCallback(CnnTrainer trainer, NetworkModule network, ValidationData? validation) : ITrainingCallback
    {
        public float Threshold { get; private set; } = trainer.options.Threshold;

        public void OnTrainingEnd(TrainingContext context) => Threshold = trainer.ChooseThreshold(network, validation);
    }

    /// <summary>
    /// Brings batch norm's running statistics up to the epoch's final weights, for a custom network: forward passes
    /// in training mode without gradients over a fixed sample of training images. The running averages (momentum 0.1)
    /// lag weights that were still moving, and a network with batch norm before global average pooling can then put
    /// every image in one class in evaluation mode while it fits them all in training mode (seen in a test, and
    /// in PyTorch 1.13 on the same data; refreshed, evaluation accuracy went from 0.5 to 1.0). Works on TorchScript
    /// modules too: it needs no access to the layers. The built-in network keeps its recorded behaviour.
    /// </summary>
    private void RefreshBatchNorm(NetworkModule network, TrainingData train)
    {
        if (!kind.RefreshesBatchNorm || train.TrainCount < 2)
            return;
        var g = train.Geometry;
        if (refreshSample is null)
        {
            var budget = Math.Max(2, (int)Math.Min(RefreshSampleMaxImages, RefreshSampleMaxBytes / ((long)g.Size * sizeof(float))));
            var positions = (int[])train.TrainPositions.Clone();
            new Random(unchecked(seed ^ RefreshSeedSalt)).Shuffle(positions);
            refreshSample = train.Rows(positions[..Math.Min(budget, positions.Length)], options.CancellationToken);
        }
        var batch = Math.Min(options.BatchSize, refreshSample.Count);
        var rows = new int[batch];
        var pixels = new float[batch * g.Size];
        network.Train();
        using var noGrad = no_grad();
        for (var k = 0; k < RefreshBatches; k++)
        {
            for (var i = 0; i < batch; i++)
                rows[i] = (k * batch + i) % refreshSample.Count;
            refreshSample.CopyRows(rows, pixels);
            using var scope = NewDisposeScope();
            network.Forward(TensorBridge.FromSpan(pixels, batch, g.Channels, g.Height, g.Width));
        }
    }

    // The refresh: 50 batches leave 0.9^50 ≈ 0.5 % of the old averages; the sample is at most so many images or bytes.
    private const int RefreshBatches = 50;
    private const int RefreshSampleMaxImages = 1024;
    private const long RefreshSampleMaxBytes = 64L << 20;
    private const int RefreshSeedSalt = 0x5EED_B17;
    private FeatureTable? refreshSample;

    /// <summary>Metrics over every validation row, in batches, in evaluation mode.</summary>
    private BinaryMetrics Measure(NetworkModule network, ValidationData validation)
    {
        var (logits, labels) = validation.Score(network, geometry, options.BatchSize, options.CancellationToken);
        return network.Task.Measure(logits, labels, options.Threshold);
    }

    private IReadOnlyList<Alarm> CheckInputs(TrainingData train, ValidationData? validation)
    {
        var validationUnreadable = validation?.Unreadable ?? [];
        var alarms = new[]
        {
            monitor.UnreadableRows(train.Unreadable, train.RowCount, validationUnreadable, (validation?.Count ?? 0) + validationUnreadable.Count),
            monitor.UnscaledInput(train.MaxValue),
            monitor.NoVariance(train.AllRowsIdentical, train.TrainCount),
        }.OfType<Alarm>().ToArray();
        foreach (var alarm in alarms)
            Raise(alarm);
        return alarms;
    }

    /// <summary>CNN008 (and CNN004 if it blows up): fit one small batch for a few steps on a copy of the state, then put the state back.</summary>
    private void CheckLearnable(TrainingRig rig, TrainingData train)
    {
        var network = rig.Network;
        var probe = train.Rows(train.FirstOfEachClass(ProbeRowsPerClass), options.CancellationToken);
        var rows = Enumerable.Range(0, probe.Count).ToArray();
        var initialState = EarlyStoppingCallback.Snapshot(network.Module);
        var g = train.Geometry;
        var pixels = new float[rows.Length * g.Size];
        probe.CopyRows(rows, pixels);
        var targets = rows.Select(i => probe.Labels[i] ? 1f : 0f).ToArray();
        double first = double.NaN, last = double.NaN, peak = double.NegativeInfinity;
        var steps = 0;
        var peakStep = 0;
        using (var optimizer = rig.NewOptimizer(Math.Max(options.LearningRate, ProbeMinimumLearningRate), weightDecay: 0))
        {
            var trainStep = rig.NewStep(optimizer);
            for (var step = 1; step <= kind.LearnabilitySteps; step++)
            {
                var value = trainStep.Run(pixels, targets, rows.Length, default, update: loss => step == 1 || !(loss < first * ProbeRequiredFall));
                if (!float.IsFinite(value))
                    throw Stop(monitor.Make(AlarmCodes.Diverged, 0,
                        $"diverged: the loss became {value} at step {step} of the learnability check, before epoch 1. " + DivergenceAdvice(), AlarmSeverity.Error));
                if (step == 1) first = value;
                if (value > peak) (peak, peakStep) = (value, step);
                last = value;
                steps = step;
                if (step > 1 && value < first * ProbeRequiredFall)
                    break;
            }
        }
        network.Module.load(new MemoryStream(initialState));
        channel.Info($"Learnability check: loss on {rows.Length} images fell from {first:F4} to {last:F4} in {steps - 1} steps.");
        if (!(last < first * ProbeRequiredFall) && monitor.UnstableProbe(rows.Length, first, peak, peakStep, last, LearningRateAdvice(options.LearningRate)) is { } unstable)
            throw Stop(unstable);
        if (!(last < first * ProbeRequiredFall))
            throw Stop(monitor.Make(AlarmCodes.NotLearnable, 0,
                $"not learnable: on one batch of {rows.Length} training images, {kind.LearnabilitySteps - 1} steps brought the loss only from {first:F3} to {last:F3}. " +
                "The network cannot fit even these: the labels may not depend on the images (identical or blank images, shuffled labels), " +
                "or the learning rate is far off. Check the data before the full run (or set CheckLearnable = false).", AlarmSeverity.Error));
    }

    /// <summary>What one pass over the training batches measured.</summary>
    /// <param name="MeanLoss">Mean loss per image over the epoch's batches.</param>
    /// <param name="Images">Images trained on.</param>
    /// <param name="Accuracy">Running accuracy: each batch judged (train mode, augmented) before its own step.</param>
    /// <param name="Peak">The highest mean loss over a window of at least <see cref="AlarmMonitor.MinimumImagesPerLossWindow"/> images (its untrained level left 0).</param>
    private readonly record struct EpochPass(double MeanLoss, int Images, double Accuracy, LossPeak Peak);

    private EpochPass TrainEpoch(int epoch, TrainStep step, AdamOptimizer optimizer, TrainingContext context, ITrainingCallback[] callbacks, TrainingData train,
        int[] order, Augmenter augmenter, Random random)
    {
        var g = train.Geometry;
        var batches = BatchCount(order.Length);
        double lossSum = 0;
        var images = 0;
        var correct = 0;
        var done = 0;
        var peak = new LossPeak(double.NegativeInfinity, 0, 0, 0);
        double windowSum = 0;
        var windowImages = 0;
        var logits = new float[options.BatchSize];
        optimizer.LearningRate = context.LearningRate;
        foreach (var batch in train.Batches(order, options.BatchSize, options.CancellationToken))
        {
            options.CancellationToken.ThrowIfCancellationRequested();
            var count = batch.Count;
            augmenter.Apply(batch.Images, count, g, random);
            var value = step.Run(batch.Images, batch.Labels, count, logits, update: _ => true);
            done++;
            if (!float.IsFinite(value))
                throw Stop(monitor.Make(AlarmCodes.Diverged, epoch,
                    $"diverged: the loss became {value} at epoch {epoch}, batch {done} of {batches}. " + DivergenceAdvice(), AlarmSeverity.Error));
            correct += step.Task.CountCorrect(logits.AsSpan(0, count), batch.Labels, options.Threshold);
            windowSum += (double)value * count;
            windowImages += count;
            if (windowImages >= AlarmMonitor.MinimumImagesPerLossWindow || (done == batches && peak.Images == 0))
            {
                if (windowSum / windowImages > peak.Loss)
                    peak = new LossPeak(windowSum / windowImages, done, windowImages, 0);
                (windowSum, windowImages) = (0, 0);
            }
            lossSum += value * count;
            images += count;
            context.EndBatch(done, value, count, logits.AsMemory(0, count), batch.Targets.AsMemory(batch.TargetOffset, count));
            foreach (var callback in callbacks)
                callback.OnBatchEnd(context);
            // A rate a callback set applies from the next batch.
            optimizer.LearningRate = context.LearningRate;
        }
        return new EpochPass(lossSum / Math.Max(images, 1), images, (double)correct / Math.Max(images, 1), peak);
    }

    /// <summary>CNN010's fix: the learning rate by name and value, and a rate to try.</summary>
    private string LearningRateAdvice(double epochRate)
    {
        var suggestion = Math.Min(CnnOptions.DefaultLearningRate, options.LearningRate / 10);
        var thisEpoch = epochRate == options.LearningRate ? "" : $" (this epoch's, after the schedule: {epochRate:G3})";
        return $"The learning rate is likely far too high: CnnOptions.LearningRate = {options.LearningRate:G4}{thisEpoch}. " +
            $"Try {suggestion:G3}, or run CnnEstimator.FindLearningRate (or set CnnOptions.AutoLearningRate = true) to choose one.";
    }

    private string DivergenceAdvice() =>
        $"Likely causes: a learning rate too high ({options.LearningRate:G3}: try 10 times lower), or unscaled input " +
        "(pixels left at 0–255: pass scaleImage: 1f / 255 to ExtractPixels).";

    private float ChooseThreshold(NetworkModule network, ValidationData? validation)
    {
        if (options.ThresholdSelection == ThresholdSelection.Fixed || validation is null)
            return options.Threshold;
        var (logits, labels) = validation.Score(network, geometry, options.BatchSize, options.CancellationToken);
        var threshold = network.Task.ChooseThreshold(logits, labels, options.ThresholdSelection, options.Threshold);
        channel.Info($"Threshold chosen on validation by {options.ThresholdSelection}: {threshold:G6}.");
        return threshold;
    }

    /// <summary>Logs an alarm; throws when it is an error, or a warning the options make one.</summary>
    private void Raise(Alarm alarm)
    {
        if (alarm.Severity == AlarmSeverity.Error || options.AlarmsAsErrors.Contains(alarm.Code))
            throw Stop(alarm with { Severity = AlarmSeverity.Error });
        channel.Warning(alarm.Message);
    }

    private CnnTrainingException Stop(Alarm alarm)
    {
        channel.Error(alarm.Message);
        return new CnnTrainingException(alarm, history.ToArray());
    }

    private int EpochSeed(int epoch) => unchecked((int)((uint)seed * 2654435761u ^ (uint)epoch * 40503u));

    /// <summary>Training steps per epoch: a lone last row is left out (see TrainEpoch).</summary>
    private int BatchCount(int rows) => BatchCount(rows, options.BatchSize);

    /// <summary>Training steps over <paramref name="rows"/> rows in batches of <paramref name="batchSize"/>: a lone last row is left out.</summary>
    internal static int BatchCount(int rows, int batchSize) => rows / batchSize + (rows % batchSize >= 2 ? 1 : 0);
}
