using Microsoft.ML;
using MlNetCnn.Tests.Support;

namespace MlNetCnn.Tests.Scoring;

public sealed class ConcurrencyTests : IClassFixture<TrainedModel>
{
    private const int Threads = 8;
    private const int Rows = 2000;

    private readonly TrainedModel model;

    public ConcurrencyTests(TrainedModel model) => this.model = model;

    [Fact]
    public void Eight_threads_share_one_loaded_model_and_get_exactly_the_sequential_results()
    {
        using var folder = new TempFolder();
        var path = folder.File("model.zip");
        model.Ml.Model.Save(model.Transformer, model.Train.Schema, path);
        var ml = new MLContext();
        var loaded = ml.Model.Load(path, out _);
        var rows = SyntheticImages.Rows(Rows, seed: 77);
        var data = ml.Data.LoadFromEnumerable(rows);

        var sequentialBatched = Scores.Column(loaded.Transform(data));
        // Engines share the model, so none of them may own (and dispose) it.
        var shared = new PredictionEngineOptions { OwnsTransformer = false };
        float[] sequentialSingle;
        using (var engine = ml.Model.CreatePredictionEngine<ImageRow, ScoringTests.Prediction>(loaded, shared))
            sequentialSingle = rows.Select(r => engine.Predict(r).Score).ToArray();

        var engines = new float[Threads][];
        var transforms = new float[Threads][];
        Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, t =>
        {
            using var engine = ml.Model.CreatePredictionEngine<ImageRow, ScoringTests.Prediction>(loaded, shared);
            engines[t] = rows.Select(r => engine.Predict(r).Score).ToArray();
            transforms[t] = Scores.Column(loaded.Transform(data));
        });

        Assert.All(engines, e => Assert.Equal(sequentialSingle, e));
        Assert.All(transforms, s => Assert.Equal(sequentialBatched, s));
        ((IDisposable)loaded).Dispose();
    }

    [Fact]
    public void An_engine_that_owns_its_model_frees_its_native_state_and_the_model_still_scores_identically()
    {
        using var folder = new TempFolder();
        var path = folder.File("model.zip");
        model.Ml.Model.Save(model.Transformer, model.Train.Schema, path);
        var ml = new MLContext();
        var loaded = Assert.IsType<CnnTransformer>(ml.Model.Load(path, out _));
        var before = Scores.Column(loaded.Transform(model.Test));
        Assert.True(loaded.Scorer.HasEngine);
        using (var engine = ml.Model.CreatePredictionEngine<ImageRow, ScoringTests.Prediction>(loaded))
            engine.Predict(SyntheticImages.Rows(1, 1)[0]);

        // ML.NET's default engine disposed the model: its native state is gone, and the next use makes it again.
        Assert.False(loaded.Scorer.HasEngine);
        Assert.Equal(before, Scores.Column(loaded.Transform(model.Test)));
        Assert.True(loaded.Scorer.HasEngine);
        Assert.Equal(2, loaded.Scorer.EnginesMade);
        loaded.Dispose();
        Assert.False(loaded.Scorer.HasEngine);
    }
}
