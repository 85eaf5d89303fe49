using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetCnn.Tests.Onnx;
using MlNetCnn.Tests.Support;

namespace MlNetCnn.Tests.Scoring;

public sealed class FreshProcessScoringTests : IClassFixture<ShippedImagesModel>
{
    private readonly ShippedImagesModel m;

    public FreshProcessScoringTests(ShippedImagesModel m) => this.m = m;

    [Fact]
    public void A_process_that_only_loads_and_scores_never_maps_libtorch_and_gives_bit_identical_scores()
    {
        using var folder = new TempFolder();
        var path = folder.File("model.zip");
        m.Ml.Model.Save(m.Pipeline, m.ValidRows.Schema, path);
        var images = m.ValidRows.GetColumn<string>("ImagePath").Take(64).ToArray();
        var expected = Scores.Column(m.Pipeline.Transform(m.Ml.Data.LoadFromEnumerable(images.Select(p => new ShippedImages.ImageRow { ImagePath = p }).ToList())));

        var (scores, native) = ScoringProbe.Run(path, images);

        Assert.Contains("libonnxruntime.so", native);
        Assert.DoesNotContain(native, lib => lib.Contains("torch", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(expected, scores);
    }

    [Fact]
    public void A_model_saved_with_the_LibTorch_engine_maps_libtorch_in_a_fresh_process_and_scores_bit_identically()
    {
        using var folder = new TempFolder();
        var path = folder.File("model.zip");
        var model = m.Pipeline.WithScoringEngine(ScoringEngine.LibTorch);
        m.Ml.Model.Save(model, m.ValidRows.Schema, path);
        var images = m.ValidRows.GetColumn<string>("ImagePath").Take(64).ToArray();
        var expected = Scores.Column(model.Transform(m.Ml.Data.LoadFromEnumerable(images.Select(p => new ShippedImages.ImageRow { ImagePath = p }).ToList())));

        var (scores, native) = ScoringProbe.Run(path, images);

        Assert.Contains(native, lib => lib.StartsWith("libtorch", StringComparison.Ordinal));
        Assert.Equal(expected, scores);
    }
}
