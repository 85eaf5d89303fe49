using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;

namespace MlNetCnn.Tests.Cli;

[Collection(TinyModelCollection.Name)]
public sealed class ExportOnnxCommandTests
{
    private readonly TinyModelFixture fixture;

    public ExportOnnxCommandTests(TinyModelFixture fixture) => this.fixture = fixture;

    [Fact]
    public void Export_onnx_writes_a_model_that_ONNX_Runtime_scores_as_predict_does()
    {
        fixture.Run.Succeeded();
        var onnx = Path.Combine(fixture.Scratch("onnx"), "model.onnx");
        Directory.CreateDirectory(Path.GetDirectoryName(onnx)!);
        var run = CliRun.Of("export-onnx", "--model", fixture.Model, "--out", onnx).Succeeded();
        Assert.Contains($"input Features float [N, 1, {TinyImageFolder.Side}, {TinyImageFolder.Side}]", run.Out);

        var images = Directory.GetFiles(Path.Combine(fixture.Valid, "pos")).Concat(Directory.GetFiles(Path.Combine(fixture.Valid, "neg"))).Order().ToArray();
        var (expected, probabilities, meta) = ExportedOnnx.Score(fixture.Model, onnx, images);

        Assert.Equal(expected.Length, probabilities.Length);
        for (var i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - probabilities[i]) <= 1e-5, $"{images[i]}: predict {expected[i]}, ONNX {probabilities[i]}");
        var side = TinyImageFolder.Side;
        Assert.Equal("true", meta["mlnetcnn.grayscale"]);
        Assert.Contains($"{side}×{side}, Stretch", meta["mlnetcnn.resize"]);
        Assert.Contains("EXIF orientation applied", meta["mlnetcnn.image_step"]);
    }

    [Fact]
    public void Predict_with_the_LibTorch_engine_agrees_with_the_default_engine()
    {
        fixture.Run.Succeeded();
        var folder = Path.Combine(fixture.Valid, "pos");
        float[] Probabilities(params string[] more)
        {
            using var json = JsonDocument.Parse(CliRun.Of(["predict", "--model", fixture.Model, "--json", .. more, folder]).Succeeded().Out);
            return json.RootElement.EnumerateArray().Select(e => e.GetProperty("probability").GetSingle()).ToArray();
        }
        var onnx = Probabilities();
        // (LibTorch's thread count is the whole process's, and other tests train in this one: leave it alone.)
        var torch = Probabilities("--engine", "LibTorch");
        var onnxOneThread = Probabilities("--engine", "OnnxRuntime", "--scoring-threads", "1");
        Assert.Equal(TinyModelFixture.ValidPerClass, onnx.Length);
        Assert.All(onnx.Zip(torch), p => Assert.True(Math.Abs(p.First - p.Second) <= 1e-5, $"{p.First} vs {p.Second}"));
        Assert.All(onnx.Zip(onnxOneThread), p => Assert.True(Math.Abs(p.First - p.Second) <= 1e-6, $"{p.First} vs {p.Second}"));
    }

    [Fact]
    public void Export_onnx_to_a_missing_folder_or_from_a_non_model_fails_with_one_line()
    {
        fixture.Run.Succeeded();
        var missing = Path.Combine(fixture.Scratch("missing"), "no-such", "model.onnx");
        CliRun.Of("export-onnx", "--model", fixture.Model, "--out", missing).FailedWith("does not exist");
        Assert.False(Directory.Exists(Path.GetDirectoryName(missing)));

        var notModel = Path.Combine(fixture.Valid, "labels.csv");
        CliRun.Of("export-onnx", "--model", notModel, "--out", Path.Combine(fixture.Out, "x.onnx")).FailedWith("is not an ML.NET model");
        CliRun.Of("predict", "--model", fixture.Model, "--scoring-threads", "0", Path.Combine(fixture.Valid, "pos")).FailedWith("--scoring-threads 0");
    }
}
