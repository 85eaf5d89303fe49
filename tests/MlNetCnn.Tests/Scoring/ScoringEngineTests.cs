using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetCnn.Scoring;
using MlNetCnn.Tests.Onnx;
using MlNetCnn.Tests.Support;

namespace MlNetCnn.Tests.Scoring;

public sealed class ScoringEngineTests : IClassFixture<ShippedImagesModel>
{
    private readonly ShippedImagesModel m;

    public ScoringEngineTests(ShippedImagesModel m) => this.m = m;

    [Fact]
    public void A_trained_model_scores_with_Onnx_Runtime_by_default_and_agrees_with_libtorch()
    {
        Assert.Equal(ScoringEngine.OnnxRuntime, m.Cnn.ScoringEngine);
        Assert.Equal(ScoringEngine.OnnxRuntime, m.Cnn.ActiveScoringEngine);
        using var libTorch = m.Cnn.WithScoringEngine(ScoringEngine.LibTorch);
        Assert.Equal(ScoringEngine.LibTorch, libTorch.ActiveScoringEngine);

        var onnx = Scores.Column(m.Cnn.Transform(m.Features));
        var torch = Scores.Column(libTorch.Transform(m.Features));
        Assert.Equal(400, onnx.Length);
        Assert.All(onnx.Zip(torch), pair => Assert.True(Math.Abs(pair.First - pair.Second) <= 1e-4, $"{pair.First} vs {pair.Second}"));
        Assert.NotEqual(onnx.Min(), onnx.Max());
    }

    [Fact]
    public void A_prediction_engine_with_Onnx_Runtime_gives_the_batched_scores()
    {
        var batched = Scores.Column(m.Cnn.Transform(m.Features));
        using var engine = m.Ml.Model.CreatePredictionEngine<Row, Prediction>(m.Cnn, new PredictionEngineOptions { OwnsTransformer = false });
        for (var i = 0; i < 40; i++)
        {
            var p = engine.Predict(new Row { Features = m.ValidFeatures[i] });
            Assert.True(Math.Abs(p.Score - batched[i]) <= 1e-5, $"row {i}: {p.Score} vs {batched[i]}");
            Assert.Equal(p.Probability >= m.Cnn.Threshold, p.PredictedLabel);
        }
    }

    [Theory]
    [InlineData(ScoringEngine.OnnxRuntime, null)]
    [InlineData(ScoringEngine.OnnxRuntime, 1)]
    [InlineData(ScoringEngine.LibTorch, null)]
    public void The_engine_and_its_threads_are_saved_and_a_reloaded_model_scores_bit_identically(ScoringEngine engine, int? threads)
    {
        using var folder = new TempFolder();
        var path = folder.File("model.zip");
        var model = m.Pipeline.WithScoringEngine(engine, threads);
        var expected = Scores.Column(model.Transform(m.ValidRows));
        m.Ml.Model.Save(model, m.ValidRows.Schema, path);

        var loaded = new MLContext().Model.Load(path, out _);
        var cnn = loaded.FindCnn();
        Assert.Equal(engine, cnn.ScoringEngine);
        Assert.Equal(threads, cnn.ScoringThreads);
        Assert.Equal(expected, Scores.Column(loaded.Transform(m.ValidRows)));
        (loaded as IDisposable)?.Dispose();
    }

    [Fact]
    public void A_model_of_the_format_before_engines_loads_and_scores_with_Onnx_Runtime()
    {
        using var folder = new TempFolder();
        var path = folder.File("old.zip");
        using var libTorch = m.Cnn.WithScoringEngine(ScoringEngine.LibTorch);
        m.Ml.Model.Save(libTorch, m.Features.Schema, path);
        // Format 0x00010003 had the same body and no CnnScoring stream.
        ModelZip.RemoveEntries(path, name => name.EndsWith("CnnScoring", StringComparison.Ordinal));
        ModelZip.SetModelVersion(path, "MLNETCNN", 0x00010003, 0x00010002);

        using var loaded = Assert.IsType<CnnTransformer>(new MLContext().Model.Load(path, out _));
        Assert.Equal(ScoringEngine.OnnxRuntime, loaded.ScoringEngine);
        var torch = Scores.Column(libTorch.Transform(m.Features));
        var onnx = Scores.Column(loaded.Transform(m.Features));
        Assert.All(onnx.Zip(torch), pair => Assert.True(Math.Abs(pair.First - pair.Second) <= 1e-4));
    }

    [Fact]
    public void When_Onnx_Runtime_cannot_start_the_model_scores_with_libtorch_and_says_so_once()
    {
        var ml = new MLContext(seed: 1);
        var log = new LogCapture(ml);
        using var folder = new TempFolder();
        var path = folder.File("model.zip");
        m.Ml.Model.Save(m.Cnn, m.Features.Schema, path);
        using var loaded = Assert.IsType<CnnTransformer>(ml.Model.Load(path, out _));

        var original = CnnScorer.OnnxRuntimeFactory;
        CnnScorer.OnnxRuntimeFactory = (_, _, _, _) => throw new DllNotFoundException("Unable to load shared library 'onnxruntime'");
        float[] scores;
        try
        {
            scores = Scores.Column(loaded.Transform(m.Features));
            _ = Scores.Column(loaded.Transform(m.Features));
        }
        finally
        {
            CnnScorer.OnnxRuntimeFactory = original;
        }

        Assert.Equal(ScoringEngine.OnnxRuntime, loaded.ScoringEngine);
        Assert.Equal(ScoringEngine.LibTorch, loaded.ActiveScoringEngine);
        var warning = Assert.Single(log.Warnings);
        Assert.Contains("ONNX Runtime could not start", warning);
        Assert.Contains("onnxruntime", warning);
        using var libTorch = m.Cnn.WithScoringEngine(ScoringEngine.LibTorch);
        Assert.Equal(Scores.Column(libTorch.Transform(m.Features)), scores);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(100_000)]
    public void Scoring_threads_out_of_range_are_refused_by_name(int threads)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => m.Cnn.WithScoringEngine(ScoringEngine.OnnxRuntime, threads));
        Assert.Equal("ScoringThreads", error.ParamName);
        var options = new CnnOptions { ScoringThreads = threads };
        Assert.Throws<ArgumentOutOfRangeException>(() => new CnnEstimator(options));
    }

    [Fact]
    public void A_disposed_model_frees_its_engine_and_makes_it_again_on_next_use_for_each_engine()
    {
        foreach (var kind in new[] { ScoringEngine.OnnxRuntime, ScoringEngine.LibTorch })
        {
            var copy = m.Cnn.WithScoringEngine(kind);
            var first = Scores.Column(copy.Transform(m.Features));
            copy.Dispose();
            Assert.False(copy.Scorer.HasEngine);
            Assert.Equal(first, Scores.Column(copy.Transform(m.Features)));
            Assert.Equal(2, copy.Scorer.EnginesMade);
            copy.Dispose();
        }
    }

    private sealed class Row
    {
        [VectorType(3, 36, 36)] public float[] Features { get; set; } = Array.Empty<float>();
    }

    private sealed class Prediction
    {
        public float Score { get; set; }
        public float Probability { get; set; }
        public bool PredictedLabel { get; set; }
    }
}
