using System.Runtime.InteropServices;
using MlNetCnn.Network;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetCnn.Bench;

/// <summary>Seconds of one training step by phase.</summary>
internal sealed record StepPhases(double Gather, double Forward, double Backward, double Optimizer)
{
    public double Total => Gather + Forward + Backward + Optimizer;
}

/// <summary>Rows (a) and the plain-forward row of (d): MlNetCnn's network driven by hand over tensors in memory.</summary>
internal sealed class PlainTorch : IDisposable
{
    private readonly Tensor images;
    private readonly Tensor labels;
    private readonly ImageGeometry geometry;
    private readonly int batchSize;
    private readonly Random random;

    public PlainTorch(ImageSet set, int batchSize, int seed)
    {
        geometry = new ImageGeometry(ImageSet.Channels, set.Side, set.Side);
        this.batchSize = batchSize;
        random = new Random(seed);
        images = FromFloats(set.Pixels, set.Count, geometry.Channels, geometry.Height, geometry.Width);
        labels = FromFloats(set.Labels, set.Count);
    }

    /// <summary>The network of the last <see cref="Train"/>, for the forward benchmark.</summary>
    public CnnNetwork? Network { get; private set; }

    /// <summary>A fresh network trained for <paramref name="epochs"/> (or <paramref name="maxSteps"/> steps); returns images trained on.</summary>
    public int Train(int epochs, int? maxSteps = null)
    {
        Network?.Dispose();
        var network = Network = new CnnNetwork(geometry, NetworkShape.Default);
        using var optimizer = optim.Adam(network.parameters(), lr: CnnOptions.DefaultLearningRate);
        var count = (int)images.shape[0];
        var order = Enumerable.Range(0, count).Select(i => (long)i).ToArray();
        var seen = 0;
        var steps = 0;
        network.train();
        for (var epoch = 0; epoch < epochs; epoch++)
        {
            random.Shuffle(order);
            for (var start = 0; start < count; start += batchSize)
            {
                var n = Math.Min(batchSize, count - start);
                if (n < 2)
                    continue;
                using var scope = NewDisposeScope();
                using var index = tensor(order.AsSpan(start, n).ToArray());
                var x = images.index_select(0, index);
                var y = labels.index_select(0, index);
                optimizer.zero_grad();
                var loss = nn.functional.binary_cross_entropy_with_logits(network.forward(x), y);
                loss.backward();
                optimizer.step();
                _ = loss.item<float>();
                seen += n;
                if (maxSteps is { } max && ++steps >= max)
                    return seen;
            }
        }
        return seen;
    }

    /// <summary>Seconds per step spent gathering the batch, in forward, in backward and in the optimizer, over <paramref name="steps"/> steps.</summary>
    public StepPhases PhaseSplit(int steps)
    {
        var network = Network ?? throw new InvalidOperationException("Train first.");
        using var optimizer = optim.Adam(network.parameters(), lr: CnnOptions.DefaultLearningRate);
        network.train();
        var clock = new System.Diagnostics.Stopwatch();
        double gather = 0, forward = 0, backward = 0, step = 0;
        double Lap() { var s = clock.Elapsed.TotalSeconds; clock.Restart(); return s; }
        for (var i = 0; i < steps; i++)
        {
            using var scope = NewDisposeScope();
            clock.Restart();
            using var index = tensor(Enumerable.Range(i * batchSize, batchSize).Select(r => (long)(r % images.shape[0])).ToArray());
            var x = images.index_select(0, index);
            var y = labels.index_select(0, index);
            gather += Lap();
            optimizer.zero_grad();
            var loss = nn.functional.binary_cross_entropy_with_logits(network.forward(x), y);
            forward += Lap();
            loss.backward();
            backward += Lap();
            optimizer.step();
            _ = loss.item<float>();
            step += Lap();
        }
        return new StepPhases(gather / steps, forward / steps, backward / steps, step / steps);
    }

    /// <summary>Batched forward over the first <paramref name="count"/> images in eval mode without gradients; logits copied out.</summary>
    public float[] Score(int count)
    {
        var network = Network ?? throw new InvalidOperationException("Train first.");
        var logits = new float[count];
        network.eval();
        using var noGrad = no_grad();
        for (var start = 0; start < count; start += batchSize)
        {
            var n = Math.Min(batchSize, count - start);
            using var scope = NewDisposeScope();
            var output = network.forward(images.narrow(0, start, n));
            MemoryMarshal.Cast<byte, float>(output.contiguous().bytes).CopyTo(logits.AsSpan(start, n));
        }
        return logits;
    }

    private static Tensor FromFloats(float[] data, params long[] shape)
    {
        var t = empty(shape, ScalarType.Float32);
        data.AsSpan().CopyTo(MemoryMarshal.Cast<byte, float>(t.bytes));
        return t;
    }

    public void Dispose()
    {
        Network?.Dispose();
        images.Dispose();
        labels.Dispose();
    }
}
