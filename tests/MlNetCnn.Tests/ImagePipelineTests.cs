using Microsoft.ML;
using MlNetCnn.Tests.Support;

namespace MlNetCnn.Tests;

/// <summary>The README's snippet, end to end, on PNG files.</summary>
public sealed class ImagePipelineTests
{
    public sealed class ImageInput
    {
        public string ImagePath { get; set; } = "";
        public bool Label { get; set; }
    }

    [Fact]
    public void LoadImages_Resize_ExtractPixels_then_Cnn_fits_evaluates_saves_and_loads()
    {
        using var folder = new TempFolder();
        var trainFolder = Path.Combine(folder.Path, "train");
        var testFolder = Path.Combine(folder.Path, "test");
        var train = PngFolder.Write(trainFolder, 160, seed: 1);
        var test = PngFolder.Write(testFolder, 60, seed: 2);

        var ml = new MLContext(seed: 1);
        IDataView Rows(string imageFolder, IEnumerable<PngFolder.Entry> entries) =>
            ml.Data.LoadFromEnumerable(entries.Select(e => new ImageInput { ImagePath = Path.Combine(imageFolder, e.ImagePath), Label = e.Label }));
        var options = SyntheticImages.FastOptions(epochs: 3);
        var pipeline = ml.Transforms.LoadImages("Image", null, "ImagePath")
            .Append(ml.Transforms.ResizeImages("Image", 36, 36))
            .Append(ml.Transforms.ExtractPixels("Features", "Image", scaleImage: 1f / 255))
            .Append(new CnnEstimator(ml, options));

        var model = pipeline.Fit(Rows(trainFolder, train));
        var scored = model.Transform(Rows(testFolder, test));
        var metrics = ml.BinaryClassification.Evaluate(scored);

        Assert.True(metrics.Accuracy >= 0.95, $"accuracy {metrics.Accuracy}");
        Assert.Equal(new ImageGeometry(3, 36, 36), model.LastTransformer.Geometry);

        var path = folder.File("model.zip");
        ml.Model.Save(model, Rows(trainFolder, train).Schema, path);
        var loaded = new MLContext().Model.Load(path, out _);
        Assert.Equal(Scores.Column(scored), Scores.Column(loaded.Transform(Rows(testFolder, test))));
    }
}
