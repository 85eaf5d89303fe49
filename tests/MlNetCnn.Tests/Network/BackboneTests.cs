using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetCnn.Network;
using MlNetCnn.Tests.Network.Import;
using MlNetCnn.Tests.Support;
using TorchSharp;

namespace MlNetCnn.Tests.Network;

/// <summary>
/// Transfer learning from the NuGet package's ResNet18 on tiny colour images (32×32: its global pooling takes any
/// size): the frozen epochs leave the backbone bit for bit, fine-tuning moves it at its own rate, the model saves
/// without the source file and scores the same after loading, and ONNX Runtime agrees.
/// </summary>
public sealed class BackboneTests
{
    private const int Side = 32;

    private sealed class ColourRow
    {
        public bool Label { get; set; }

        [VectorType(3, Side, Side)]
        public float[] Features { get; set; } = [];
    }

    /// <summary>A bright square top-left (positive) or bottom-right (negative), tinted, on noise.</summary>
    private static IDataView Images(MLContext ml, int count, int seed)
    {
        var random = new Random(seed);
        var rows = new List<ColourRow>();
        for (var i = 0; i < count; i++)
        {
            var label = i % 2 == 0;
            var pixels = new float[3 * Side * Side];
            for (var k = 0; k < pixels.Length; k++)
                pixels[k] = (float)random.NextDouble() * 0.3f;
            var top = random.Next(0, Side / 2 - 8) + (label ? 0 : Side / 2);
            var left = random.Next(0, Side / 2 - 8) + (label ? 0 : Side / 2);
            for (var c = 0; c < 3; c++)
            for (var y = top; y < top + 8; y++)
            for (var x = left; x < left + 8; x++)
                pixels[(c * Side + y) * Side + x] = c == 0 ? 0.95f : 0.6f;
            rows.Add(new ColourRow { Label = label, Features = pixels });
        }
        return ml.Data.LoadFromEnumerable(rows);
    }

    private static CnnOptions Options(int epochs, FineTuning fineTuning) => new()
    {
        Backbone = PretrainedBackbone.ResNet18(ResNet18Fixture.ResNet18Path()),
        FineTuning = fineTuning,
        FrozenEpochs = 1,
        Epochs = epochs,
        BatchSize = 16,
        LearningRate = 1e-3,
        Seed = 1,
        Threads = 2,
    };

    private static Dictionary<string, float[]> Values(IEnumerable<(string Name, torch.Tensor Tensor)> tensors) =>
        tensors.ToDictionary(t => t.Name, t => t.Tensor.detach().cpu().data<float>().ToArray());

    /// <summary>The backbone's parameters and batch-norm statistics, and the head's weights, after each epoch.</summary>
    private sealed class Watch : ITrainingCallback
    {
        public List<Dictionary<string, float[]>> States { get; } = [];
        public List<(double Head, double Backbone)> Rates { get; } = [];
        public List<(long Hits, long Misses)> Cache { get; } = [];

        public void OnTrainingBegin(TrainingContext context) => States.Add(Snapshot(context));

        public void OnBatchEnd(TrainingContext context) => Rates.Add((context.LearningRate, context.Optimizer["backbone"].LearningRate));

        public void OnEpochEnd(TrainingContext context)
        {
            States.Add(Snapshot(context));
            var cache = ((BackboneClassifier)context.Network.Module).Cache;
            Cache.Add((cache?.Hits ?? 0, cache?.Misses ?? 0));
        }

        private static Dictionary<string, float[]> Snapshot(TrainingContext context) =>
            Values(context.Network.Module.named_parameters().Select(p => (p.name, (torch.Tensor)p.parameter))
                .Concat(context.Network.Module.named_buffers().Where(b => b.name.EndsWith("running_mean") || b.name.EndsWith("running_var"))));
    }

    private static bool Same(Dictionary<string, float[]> a, Dictionary<string, float[]> b, string prefix) =>
        a.Keys.Where(k => k.StartsWith(prefix)).All(k => a[k].SequenceEqual(b[k]));

    [Fact]
    public void The_frozen_epoch_keeps_the_backbone_bit_for_bit_and_fine_tuning_then_moves_it_at_a_tenth_of_the_rate()
    {
        var ml = new MLContext(1);
        var watch = new Watch();
        var options = Options(epochs: 2, FineTuning.All);
        options.Callbacks.Add(watch);
        using var model = new CnnEstimator(ml, options).Fit(Images(ml, 64, seed: 3));

        var (start, afterFrozen, afterTuning) = (watch.States[0], watch.States[1], watch.States[2]);
        Assert.Contains(start.Keys, k => k.StartsWith("backbone.") && k.EndsWith("running_mean"));
        Assert.True(Same(start, afterFrozen, "backbone."), "a backbone parameter or batch-norm statistic moved while frozen");
        Assert.False(Same(start, afterFrozen, "head."), "the head did not learn in the frozen epoch");
        Assert.False(Same(afterFrozen, afterTuning, "backbone."), "the backbone did not move once unfrozen");
        Assert.All(watch.Rates, r => Assert.Equal(r.Head * CnnOptions.DefaultBackboneLearningRateFactor, r.Backbone, 12));
        Assert.Equal("ResNet18 backbone with a linear head", model.NetworkDescription);
    }

    [Fact]
    public void Head_only_training_computes_each_image_s_features_once_and_never_moves_the_backbone()
    {
        var ml = new MLContext(1);
        var watch = new Watch();
        var options = Options(epochs: 3, FineTuning.Frozen);
        options.ValidationFraction = 0.25;
        options.Callbacks.Add(watch);
        using var model = new CnnEstimator(ml, options).Fit(Images(ml, 64, seed: 3));

        Assert.True(Same(watch.States[0], watch.States[^1], "backbone."));
        Assert.False(Same(watch.States[0], watch.States[^1], "head."));
        // 48 training and 16 validation images (and the learnability check's 16 of them): after the first epoch
        // every image is a hit, so the misses stop growing.
        Assert.Equal(watch.Cache[0].Misses, watch.Cache[^1].Misses);
        Assert.InRange(watch.Cache[0].Misses, 64, 64);
        Assert.True(watch.Cache[^1].Hits > watch.Cache[0].Hits);
        Assert.True(model.History[^1].Validation!.Accuracy >= 0.75, $"validation accuracy {model.History[^1].Validation!.Accuracy}");
    }

    [Fact]
    public void The_model_saves_without_the_source_file_and_both_engines_score_it_as_before()
    {
        var ml = new MLContext(1);
        var train = Images(ml, 48, seed: 3);
        var test = Images(ml, 16, seed: 4);
        using var model = new CnnEstimator(ml, Options(epochs: 2, FineTuning.LastStages)).Fit(train);
        var libTorch = Scores.Column(model.WithScoringEngine(ScoringEngine.LibTorch).Transform(test));
        var onnx = Scores.Column(model.Transform(test));
        Assert.Equal(ScoringEngine.OnnxRuntime, model.ActiveScoringEngine);
        for (var i = 0; i < onnx.Length; i++)
            Assert.True(Math.Abs(onnx[i] - libTorch[i]) <= 1e-4 * Math.Max(1, Math.Abs(libTorch[i])), $"row {i}: ONNX Runtime {onnx[i]}, LibTorch {libTorch[i]}");

        using var folder = new TempFolder();
        var path = folder.File("model.zip");
        ml.Model.Save(model, train.Schema, path);
        Assert.True(new FileInfo(path).Length < new FileInfo(ResNet18Fixture.ResNet18Path()).Length, "the zip should hold the weights once, not the source file too");
        using var loaded = Assert.IsType<CnnTransformer>(new MLContext().Model.Load(path, out _));
        Assert.Equal(onnx, Scores.Column(loaded.Transform(test)));
        Assert.Equal(libTorch, Scores.Column(loaded.WithScoringEngine(ScoringEngine.LibTorch).Transform(test)));
        var layers = loaded.DescribeNetwork();
        Assert.Equal(22, layers.Count(l => l.Kind.StartsWith("Conv")));
        Assert.Equal("head", layers[^1].Name);
        Assert.Equal(513, layers[^1].Parameters);
    }

    [Fact]
    public void Grey_images_are_refused_saying_the_backbone_takes_colour()
    {
        var ml = new MLContext(1);
        var options = Options(epochs: 1, FineTuning.Frozen);
        var error = Assert.Throws<ArgumentException>(() => new CnnEstimator(ml, options).Fit(SyntheticImages.DataView(ml, 16, seed: 1)));
        Assert.Contains("takes images of 3 channels", error.Message);
        Assert.Contains("ColorMode = Color", error.Message);
    }
}
