using System.Diagnostics;
using Microsoft.Extensions.ObjectPool;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetCnn.Tests.Onnx;
using MlNetCnn.Tests.Support;
using Xunit.Abstractions;

namespace MlNetCnn.Tests.Scoring;

/// <summary>
/// The ways people serve an ML.NET model, each with one loaded model.zip, 16 concurrent workers and 2,000 predictions:
/// every prediction must succeed and equal the sequential one.
/// </summary>
public sealed class ServingPatternsTests : IClassFixture<ShippedImagesModel>
{
    private const int Workers = 16;
    private const int Predictions = 2000;

    private readonly ShippedImagesModel m;
    private readonly ITestOutputHelper output;

    public ServingPatternsTests(ShippedImagesModel m, ITestOutputHelper output)
    {
        this.m = m;
        this.output = output;
    }

    public static TheoryData<ScoringEngine, string> Patterns()
    {
        var data = new TheoryData<ScoringEngine, string>();
        foreach (var engine in new[] { ScoringEngine.OnnxRuntime, ScoringEngine.LibTorch })
            foreach (var pattern in new[] { "using-engine-per-request", "disposable-object-pool", "shared-engine-behind-a-lock", "transform-per-request" })
                data.Add(engine, pattern);
        return data;
    }

    [Theory]
    [MemberData(nameof(Patterns))]
    public void Each_serving_pattern_answers_every_request_with_the_sequential_score(ScoringEngine engine, string pattern)
    {
        using var folder = new TempFolder();
        var path = folder.File("model.zip");
        var model = m.Pipeline.WithScoringEngine(engine);
        m.Ml.Model.Save(model, m.ValidRows.Schema, path);
        var images = m.ValidRows.GetColumn<string>("ImagePath").ToArray();

        var ml = new MLContext(seed: 1);
        var loaded = ml.Model.Load(path, out _);
        var expected = new float[images.Length];
        using (var sequential = ml.Model.CreatePredictionEngine<ShippedImages.ImageRow, Prediction>(loaded, new PredictionEngineOptions { OwnsTransformer = false }))
        {
            for (var i = 0; i < images.Length; i++)
                expected[i] = sequential.Predict(new ShippedImages.ImageRow { ImagePath = images[i] }).Score;
        }

        Func<ShippedImages.ImageRow, float> predict = pattern switch
        {
            "using-engine-per-request" => row =>
            {
                // The pattern ML.NET's docs show; the engine owns (and disposes) the model by default.
                using var e = ml.Model.CreatePredictionEngine<ShippedImages.ImageRow, Prediction>(loaded);
                return e.Predict(row).Score;
            },
            "disposable-object-pool" => Pooled(ml, loaded),
            "shared-engine-behind-a-lock" => Locked(ml, loaded),
            "transform-per-request" => row => ml.Data.CreateEnumerable<Prediction>(loaded.Transform(ml.Data.LoadFromEnumerable(new[] { row })), reuseRowObject: false).Single().Score,
            _ => throw new ArgumentOutOfRangeException(nameof(pattern)),
        };

        var errors = new List<string>();
        var mismatches = 0;
        var next = -1;
        var clock = Stopwatch.StartNew();
        var threads = Enumerable.Range(0, Workers).Select(_ => new Thread(() =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < Predictions)
            {
                var image = i % images.Length;
                try
                {
                    if (predict(new ShippedImages.ImageRow { ImagePath = images[image] }) != expected[image])
                        Interlocked.Increment(ref mismatches);
                }
                catch (Exception e)
                {
                    lock (errors) errors.Add($"{e.GetType().Name}: {e.Message}");
                }
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        output.WriteLine($"{engine}, {pattern}: {Predictions} predictions by {Workers} workers in {clock.Elapsed.TotalSeconds:F1} s");

        Assert.True(errors.Count == 0, $"{errors.Count} errors; the first: {errors.FirstOrDefault()}");
        Assert.Equal(0, mismatches);
        // The owner frees the native state. ML.NET's TransformerChain passes Dispose on only the first time: where
        // engines that own the model have disposed it (patterns a and b), the chain's Dispose does nothing more, and
        // the CNN's own Dispose frees it.
        var cnn = loaded.FindCnn();
        var chainDisposedBefore = cnn.Scorer.EnginesMade > 1 || !cnn.Scorer.HasEngine;
        if (pattern == "using-engine-per-request")
            Assert.True(chainDisposedBefore);
        if (pattern is "shared-engine-behind-a-lock" or "transform-per-request")
            Assert.False(chainDisposedBefore);
        output.WriteLine($"engines made: {cnn.Scorer.EnginesMade}");
        _ = cnn.ActiveScoringEngine; // makes the engine if the last dispose freed it
        Assert.True(cnn.Scorer.HasEngine);
        (loaded as IDisposable)?.Dispose();
        Assert.Equal(chainDisposedBefore, cnn.Scorer.HasEngine);
        cnn.Dispose();
        Assert.False(cnn.Scorer.HasEngine);
    }

    private static Func<ShippedImages.ImageRow, float> Pooled(MLContext ml, ITransformer model)
    {
        // What DefaultObjectPoolProvider builds for a disposable type: a DisposableObjectPool, which disposes the
        // engines it does not keep (and so, by ML.NET's default, the model they were made from).
        var pool = new DefaultObjectPoolProvider { MaximumRetained = 4 }.Create(new EnginePolicy(ml, model));
        Assert.IsAssignableFrom<IDisposable>(pool);
        return row =>
        {
            var engine = pool.Get();
            try
            {
                return engine.Predict(row).Score;
            }
            finally
            {
                pool.Return(engine);
            }
        };
    }

    private static Func<ShippedImages.ImageRow, float> Locked(MLContext ml, ITransformer model)
    {
        var engine = ml.Model.CreatePredictionEngine<ShippedImages.ImageRow, Prediction>(model);
        var gate = new object();
        return row =>
        {
            lock (gate)
                return engine.Predict(row).Score;
        };
    }

    private sealed class EnginePolicy : IPooledObjectPolicy<PredictionEngine<ShippedImages.ImageRow, Prediction>>
    {
        private readonly MLContext ml;
        private readonly ITransformer model;

        public EnginePolicy(MLContext ml, ITransformer model) => (this.ml, this.model) = (ml, model);

        public PredictionEngine<ShippedImages.ImageRow, Prediction> Create() => ml.Model.CreatePredictionEngine<ShippedImages.ImageRow, Prediction>(model);

        public bool Return(PredictionEngine<ShippedImages.ImageRow, Prediction> obj) => true;
    }

    public sealed class Prediction
    {
        public float Score { get; set; }
        public float Probability { get; set; }
        public bool PredictedLabel { get; set; }
    }
}
