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
    public void An_engine_that_owns_its_model_disposes_it_and_later_use_says_why()
    {
        using var folder = new TempFolder();
        var path = folder.File("model.zip");
        model.Ml.Model.Save(model.Transformer, model.Train.Schema, path);
        var ml = new MLContext();
        var loaded = ml.Model.Load(path, out _);
        using (var engine = ml.Model.CreatePredictionEngine<ImageRow, ScoringTests.Prediction>(loaded))
            engine.Predict(SyntheticImages.Rows(1, 1)[0]);

        var error = Assert.Throws<ObjectDisposedException>(() => Scores.Column(loaded.Transform(model.Test)));
        Assert.Contains("OwnsTransformer = false", error.Message);
    }
}
