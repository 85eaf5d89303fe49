using Microsoft.ML;
using MlNetCnn.Tests.Support;
using TorchSharp;

namespace MlNetCnn.Tests.Training;

/// <summary>The loop's seam reaches the network and the optimiser: a user's callback freezes a part and gives another its own rate.</summary>
public sealed class FreezingTests
{
    private static Dictionary<string, float[]> Values(IEnumerable<(string Name, torch.Tensor Tensor)> tensors) =>
        tensors.ToDictionary(t => t.Name, t => t.Tensor.detach().cpu().to_type(torch.ScalarType.Float32).data<float>().ToArray());

    /// <summary>Freezes the built-in network's convolutions and puts its dense layers in a group at half the rate.</summary>
    private sealed class FreezeFeatures : ITrainingCallback
    {
        public Dictionary<string, float[]> ParametersBefore { get; private set; } = [];
        public Dictionary<string, float[]> BuffersBefore { get; private set; } = [];
        public Dictionary<string, float[]> ParametersAfter { get; private set; } = [];
        public Dictionary<string, float[]> BuffersAfter { get; private set; } = [];
        public List<(double Base, double Head)> Rates { get; } = [];
        public List<string> Groups { get; } = [];

        public void OnTrainingBegin(TrainingContext context)
        {
            ParametersBefore = Values(context.Network.NamedParameters);
            BuffersBefore = Values(context.Network.Module.named_buffers().Select(b => (b.name, b.buffer)));
            Assert.True(context.Network.Freeze("features") > 0);
            var head = context.Optimizer.AddGroup("head", "classifier", learningRateScale: 0.5);
            Groups.AddRange(context.Optimizer.Groups.Select(g => $"{g.Name} {g.ParameterNames.Count}"));
            Assert.All(head.ParameterNames, n => Assert.StartsWith("classifier.", n));
        }

        public void OnBatchEnd(TrainingContext context) => Rates.Add((context.LearningRate, context.Optimizer["head"].LearningRate));

        public void OnTrainingEnd(TrainingContext context)
        {
            ParametersAfter = Values(context.Network.NamedParameters);
            BuffersAfter = Values(context.Network.Module.named_buffers().Select(b => (b.name, b.buffer)));
        }
    }

    [Fact]
    public void A_callback_freezes_the_features_bit_for_bit_while_the_dense_layers_train_at_their_own_rate()
    {
        var freezer = new FreezeFeatures();
        var options = SyntheticImages.FastOptions(epochs: 2);
        options.Threads = 1;
        options.Callbacks.Add(freezer);
        using var model = new CnnEstimator(new MLContext(seed: 1), options).Fit(SyntheticImages.DataView(new MLContext(seed: 1), 64, seed: 3));

        var features = freezer.ParametersBefore.Keys.Where(n => n.StartsWith("features.")).ToArray();
        var classifier = freezer.ParametersBefore.Keys.Where(n => n.StartsWith("classifier.")).ToArray();
        Assert.NotEmpty(features);
        Assert.NotEmpty(classifier);
        foreach (var name in features)
            Assert.Equal(freezer.ParametersBefore[name], freezer.ParametersAfter[name]);
        // Frozen batch norms stay in evaluation mode: their running statistics do not move either.
        var featureBuffers = freezer.BuffersBefore.Keys.Where(n => n.StartsWith("features.") && !n.EndsWith("num_batches_tracked")).ToArray();
        Assert.NotEmpty(featureBuffers);
        foreach (var name in featureBuffers)
            Assert.Equal(freezer.BuffersBefore[name], freezer.BuffersAfter[name]);
        Assert.All(classifier, name => Assert.NotEqual(freezer.ParametersBefore[name], freezer.ParametersAfter[name]));
        // The classifier's batch norms trained, so their statistics moved.
        Assert.Contains(freezer.BuffersBefore.Keys.Where(n => n.StartsWith("classifier.") && n.EndsWith("running_mean")),
            name => !freezer.BuffersBefore[name].SequenceEqual(freezer.BuffersAfter[name]));

        Assert.Equal([$"all {features.Length}", $"head {classifier.Length}"], freezer.Groups);
        Assert.NotEmpty(freezer.Rates);
        Assert.All(freezer.Rates, r => Assert.Equal(r.Base * 0.5, r.Head));
    }

    [Fact]
    public void A_part_with_no_parameters_is_refused_listing_the_parts()
    {
        var options = SyntheticImages.FastOptions(epochs: 1);
        options.CheckLearnable = false;
        options.Callbacks.Add(new Freeze("backbone"));
        var error = Assert.Throws<ArgumentException>(() =>
            new CnnEstimator(new MLContext(seed: 1), options).Fit(SyntheticImages.DataView(new MLContext(seed: 1), 32, seed: 3)));
        Assert.Contains("'backbone'", error.Message);
        Assert.Contains("features, classifier", error.Message);
    }

    private sealed class Freeze(string part) : ITrainingCallback
    {
        public void OnTrainingBegin(TrainingContext context) => context.Network.Freeze(part);
    }

    [Fact]
    public void The_batch_outputs_and_targets_a_callback_sees_are_the_batch_s_logits_and_labels()
    {
        var seen = new List<(float[] Outputs, float[] Targets, double Loss)>();
        var options = SyntheticImages.FastOptions(epochs: 1);
        options.Callbacks.Add(new OnBatch(c => seen.Add((c.BatchOutputs.ToArray(), c.BatchTargets.ToArray(), c.BatchLoss))));
        using var model = new CnnEstimator(new MLContext(seed: 1), options).Fit(SyntheticImages.DataView(new MLContext(seed: 1), 48, seed: 3));

        Assert.NotEmpty(seen);
        foreach (var (outputs, targets, loss) in seen)
        {
            Assert.Equal(options.BatchSize, outputs.Length);
            Assert.Equal(outputs.Length, targets.Length);
            Assert.All(targets, t => Assert.True(t is 0f or 1f));
            // The batch's loss is BCE-with-logits of these outputs against these targets.
            var bce = outputs.Zip(targets, (z, y) => Math.Max(z, 0) - z * y + Math.Log(1 + Math.Exp(-Math.Abs(z)))).Average();
            Assert.Equal(loss, bce, 4);
        }
    }

    private sealed class OnBatch(Action<TrainingContext> action) : ITrainingCallback
    {
        public void OnBatchEnd(TrainingContext context) => action(context);
    }
}
