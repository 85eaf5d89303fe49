using System.IO.Compression;
using System.Text.Json;
using MlNetCnn.Persistence;

namespace MlNetCnn.Tests.Cli;

/// <summary><c>train --network</c>: the residual built-in and a TorchScript file, through the command line.</summary>
public sealed class CustomNetworkCommandTests : IDisposable
{
    private readonly CliTempFolder temp = new();
    private readonly string train;
    private readonly string valid;

    public CustomNetworkCommandTests()
    {
        train = TinyImageFolder.Write(temp["train"], TinyModelFixture.TrainPerClass, seed: 1);
        valid = TinyImageFolder.Write(temp["valid"], TinyModelFixture.ValidPerClass, seed: 2);
    }

    private static string Script(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "torchscript", name);

    [Fact]
    public void A_TorchScript_network_trains_and_its_model_predicts_without_the_file()
    {
        var output = temp["script"];
        var script = Path.Combine(temp["copy"], "net.pt");
        Directory.CreateDirectory(Path.GetDirectoryName(script)!);
        File.Copy(Script("small_net.pt"), script);

        var run = CliRun.Of(TinyModelFixture.TrainArgs(train, valid, output, "--network", "torchscript:" + script, "--no-learnability-check", "--threads", "2")).Succeeded();
        File.Delete(script);
        var predict = CliRun.Of("predict", "--model", Path.Combine(output, "model.zip"), Path.Combine(valid, "pos", "000.png")).Succeeded();

        Assert.Contains("network TorchScript " + script, run.Out);
        using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "metrics.json")));
        Assert.StartsWith("TorchScript module", metrics.RootElement.GetProperty("training").GetProperty("network").GetString());
        Assert.Equal("torchscript:" + script, metrics.RootElement.GetProperty("training").GetProperty("options").GetProperty("CustomNetwork").GetString());
        using var zip = ZipFile.OpenRead(Path.Combine(output, "model.zip"));
        Assert.Contains(zip.Entries, e => e.FullName.EndsWith(CnnModelFormat.TorchScriptStream, StringComparison.Ordinal));
        Assert.Contains("000.png", predict.Out);
    }

    [Fact]
    public void The_residual_network_trains_and_exports_to_ONNX()
    {
        var output = temp["residual"];

        CliRun.Of(TinyModelFixture.TrainArgs(train, valid, output, "--network", "residual:16,16", "--threads", "2")).Succeeded();
        CliRun.Of("export-onnx", "--model", Path.Combine(output, "model.zip"), "--out", Path.Combine(output, "model.onnx")).Succeeded();

        // ONNX Runtime computes from the file what predict says, for every validation image.
        var images = Directory.GetFiles(valid, "*.png", SearchOption.AllDirectories).Order().ToArray();
        var (predicted, onnx, _) = ExportedOnnx.Score(Path.Combine(output, "model.zip"), Path.Combine(output, "model.onnx"), images);
        Assert.Equal(images.Length, onnx.Length);
        Assert.All(predicted.Zip(onnx), p => Assert.True(Math.Abs(p.First - p.Second) <= 1e-5, $"predict {p.First}, ONNX {p.Second}"));
    }

    [Fact]
    public void Lr_find_runs_the_range_test_on_a_custom_network()
    {
        var output = temp["lr-find"];

        var run = CliRun.Of("lr-find", "--train", train, "--image-size", "12", "--batch-size", "8", "--network", "residual:16", "--out", output).Succeeded();

        Assert.Contains("Suggested learning rate", run.Out);
        Assert.True(File.Exists(Path.Combine(output, "lr-find.png")));
    }

    [Theory]
    [InlineData("nonsense", "--network 'nonsense' is not a network")]
    [InlineData("torchscript:/no/such/net.pt", "No TorchScript file '/no/such/net.pt'")]
    [InlineData("residual:16,x", "--network residual:16,x: The CNN network factory 'mlnetcnn.residual' cannot build")]
    public void A_bad_network_is_refused_under_its_flag(string network, string message) =>
        CliRun.Of(TinyModelFixture.TrainArgs(train, valid, temp["bad"], "--network", network)).FailedWith(message);

    [Fact]
    public void A_TorchScript_module_with_two_outputs_is_refused_under_the_flag_with_the_shapes() =>
        CliRun.Of(TinyModelFixture.TrainArgs(train, valid, temp["two"], "--network", "torchscript:" + Script("two_outputs.pt")))
            .FailedWith("[2, 2]");

    public void Dispose() => temp.Dispose();
}
