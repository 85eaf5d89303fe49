using System.Diagnostics;
using Microsoft.ML.Runtime;
using MlNetCnn.Data;
using MlNetCnn.Diagnostics;
using MlNetCnn.Network;
using MlNetCnn.Scoring;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetCnn.Training;

/// <summary>The training loop: epochs of shuffled mini-batches, then a measurement over the whole validation set.</summary>
internal sealed class CnnTrainer
{
    private readonly IChannel channel;
    private readonly CnnOptions options;
    private readonly int seed;

    public CnnTrainer(IChannel channel, CnnOptions options, int seed)
    {
        this.channel = channel;
        this.options = options;
        this.seed = seed;
    }

    /// <summary>Trains a new network on <paramref name="train"/>; returns it with one record per epoch.</summary>
    public (CnnNetwork Network, IReadOnlyList<EpochRecord> History) Fit(FeatureTable train, FeatureTable? validation)
    {
        var network = CreateNetwork(train.Geometry);
        try
        {
            var history = new List<EpochRecord>();
            using var optimizer = optim.Adam(network.parameters(), options.LearningRate);
            var random = new Random(seed);
            var order = Enumerable.Range(0, train.Count).ToArray();
            var batch = new float[options.BatchSize * train.Geometry.Size];
            var batchLabels = new float[options.BatchSize];

            for (var epoch = 1; epoch <= options.Epochs; epoch++)
            {
                var clock = Stopwatch.StartNew();
                random.Shuffle(order);
                var (loss, images) = TrainEpoch(epoch, network, optimizer, train, order, batch, batchLabels, clock);
                var trainSeconds = clock.Elapsed.TotalSeconds;
                var metrics = validation is null ? null : Measure(network, validation, options.BatchSize, options.Threshold);
                var record = new EpochRecord(epoch, loss, metrics, options.LearningRate, clock.Elapsed.TotalSeconds, images / Math.Max(trainSeconds, 1e-9));
                history.Add(record);
                channel.Info(Describe(record));
                options.Progress?.Report(new TrainingProgress(epoch, options.Epochs, BatchCount(train.Count), BatchCount(train.Count), record.ImagesPerSecond, record));
            }
            return (network, history);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>Logits and metrics over every row of <paramref name="table"/>, in batches, in evaluation mode.</summary>
    public static BinaryMetrics Measure(CnnNetwork network, FeatureTable table, int batchSize, float threshold)
    {
        var logits = ScoreAll(network, table, batchSize);
        return BinaryMetrics.Compute(logits, table.Labels.ToArray(), threshold);
    }

    /// <summary>One logit per row of <paramref name="table"/>.</summary>
    public static float[] ScoreAll(CnnNetwork network, FeatureTable table, int batchSize)
    {
        var logits = new float[table.Count];
        var size = table.Geometry.Size;
        var buffer = new float[batchSize * size];
        for (var start = 0; start < table.Count; start += batchSize)
        {
            var count = Math.Min(batchSize, table.Count - start);
            table.CopyRows(start, count, buffer);
            CnnScorer.Forward(network, buffer.AsSpan(0, count * size), logits.AsSpan(start, count));
        }
        return logits;
    }

    private CnnNetwork CreateNetwork(ImageGeometry geometry)
    {
        lock (TorchGate.Seeding)
        {
            torch.manual_seed(seed);
            return new CnnNetwork(geometry, options.Network);
        }
    }

    /// <summary>Training steps per epoch: a lone last row is left out (see TrainEpoch).</summary>
    private int BatchCount(int rows) => rows / options.BatchSize + (rows % options.BatchSize >= 2 ? 1 : 0);

    private (double MeanLoss, int Images) TrainEpoch(int epoch, CnnNetwork network, optim.Optimizer optimizer, FeatureTable train, int[] order, float[] batch, float[] batchLabels, Stopwatch clock)
    {
        var batches = BatchCount(order.Length);
        var done = 0;
        network.train();
        var g = train.Geometry;
        double lossSum = 0;
        var images = 0;
        for (var start = 0; start < order.Length; start += options.BatchSize)
        {
            var count = Math.Min(options.BatchSize, order.Length - start);
            // Batch norm cannot normalise a single row; a lone last row waits for the next epoch's shuffle.
            if (count < 2)
                continue;
            options.CancellationToken.ThrowIfCancellationRequested();
            var rows = order.AsSpan(start, count);
            train.CopyRows(rows, batch);
            for (var i = 0; i < count; i++)
                batchLabels[i] = train.Labels[rows[i]] ? 1f : 0f;

            using var scope = NewDisposeScope();
            var input = TensorBridge.FromSpan(batch.AsSpan(0, count * g.Size), count, g.Channels, g.Height, g.Width);
            var target = TensorBridge.FromSpan(batchLabels.AsSpan(0, count), count);
            optimizer.zero_grad();
            var logits = network.forward(input);
            var loss = nn.functional.binary_cross_entropy_with_logits(logits, target);
            loss.backward();
            optimizer.step();
            lossSum += loss.item<float>() * count;
            images += count;
            done++;
            options.Progress?.Report(new TrainingProgress(epoch, options.Epochs, done, batches, images / Math.Max(clock.Elapsed.TotalSeconds, 1e-9), null));
        }
        return (lossSum / Math.Max(images, 1), images);
    }

    private string Describe(EpochRecord r)
    {
        var line = $"Epoch {r.Epoch}/{options.Epochs}: training loss {r.TrainingLoss:F4}";
        if (r.Validation is { } v)
            line += $", validation loss {v.Loss:F4}, accuracy {v.Accuracy:F4}, AUC {v.Auc:F4}, predicted positive {v.PositiveRate:P1}";
        return line + $" ({r.ImagesPerSecond:F0} images/s)";
    }
}
