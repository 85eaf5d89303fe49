using Microsoft.ML;
using MlNetCnn.Tests.Support;

namespace MlNetCnn.Tests.Scoring;

/// <summary>Scoring a row whose image cannot be read fails with an error that names the file; the other rows score.</summary>
public sealed class BrokenImageScoringTests : IDisposable
{
    private readonly MLContext ml = new(seed: 1);
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    [Theory]
    [InlineData("text")]
    [InlineData("empty")]
    [InlineData("missing")]
    public void Transform_and_PredictionEngine_name_the_unreadable_image(string damage)
    {
        var entries = PngFolder.Write(folder.Path, 24, seed: 1);
        var rows = entries.Select(e => new ImagePipelineTests.ImageInput { ImagePath = Path.Combine(folder.Path, e.ImagePath), Label = e.Label }).ToList();
        var pipeline = ml.Transforms.LoadImages("Image", null, "ImagePath")
            .Append(ml.Transforms.ResizeImages("Image", 36, 36))
            .Append(ml.Transforms.ExtractPixels("Features", "Image", scaleImage: 1f / 255))
            .Append(new CnnEstimator(ml, SyntheticImages.FastOptions(epochs: 1)));
        using var model = pipeline.Fit(ml.Data.LoadFromEnumerable(rows));
        const int broken = 5;
        var others = rows.Where((_, i) => i != broken).ToList();
        using var engine = ml.Model.CreatePredictionEngine<ImagePipelineTests.ImageInput, Scored>(model, new PredictionEngineOptions { OwnsTransformer = false });
        // What the other rows score while every file is intact: batched, and one at a time on the same engine.
        var batchedBefore = Scores.Column(model.Transform(ml.Data.LoadFromEnumerable(others)));
        var singleBefore = others.Select(r => engine.Predict(r).Score).ToArray();
        var bad = rows[broken].ImagePath;
        switch (damage)
        {
            case "text": File.WriteAllText(bad, "not a png"); break;
            case "empty": File.WriteAllBytes(bad, []); break;
            default: File.Delete(bad); break;
        }

        var batched = Record.Exception(() => Scores.Column(model.Transform(ml.Data.LoadFromEnumerable(rows))));
        var single = Record.Exception(() => engine.Predict(rows[broken]));

        // ML.NET decodes ahead on worker threads; the error still names the very row and its file
        var error = Assert.IsType<InvalidOperationException>(batched);
        Assert.Contains($"Row {broken} (ImagePath = '{bad}')", error.Message);
        Assert.Contains(bad, Assert.IsType<InvalidOperationException>(single).Message);
        // The failure leaves nothing behind: the same engine and the same model score the other rows exactly as before.
        Assert.Equal(singleBefore, others.Select(r => engine.Predict(r).Score).ToArray());
        Assert.Equal(batchedBefore, Scores.Column(model.Transform(ml.Data.LoadFromEnumerable(others))));
    }

    private sealed class Scored
    {
        public float Score { get; set; }
    }
}
