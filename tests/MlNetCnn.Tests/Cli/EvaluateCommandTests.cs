using System.Text.Json;

namespace MlNetCnn.Tests.Cli;

[Collection(TinyModelCollection.Name)]
public sealed class EvaluateCommandTests
{
    private readonly TinyModelFixture fixture;

    public EvaluateCommandTests(TinyModelFixture fixture) => this.fixture = fixture;

    [Fact]
    public void Evaluate_prints_the_metrics_and_writes_roc_and_metrics_but_no_model()
    {
        fixture.Run.Succeeded();
        var output = fixture.Scratch("evaluate");
        var run = CliRun.Of("evaluate", "--model", fixture.Model, "--data", fixture.Valid, "--out", output).Succeeded();

        Assert.Contains("Confusion matrix", run.Out);
        Assert.True(File.Exists(Path.Combine(output, "roc.png")));
        Assert.False(File.Exists(Path.Combine(output, "model.zip")));
        // The same model on the same folder: the same metrics as train's final evaluation.
        Assert.Equal(Accuracy(Path.Combine(fixture.Out, "metrics.json")), Accuracy(Path.Combine(output, "metrics.json")));
    }

    [Fact]
    public void Evaluate_reads_class_subfolders_with_the_positive_one_named()
    {
        fixture.Run.Succeeded();
        var data = fixture.Scratch("subfolders");
        foreach (var cls in new[] { "pos", "neg" })
        {
            Directory.CreateDirectory(Path.Combine(data, cls));
            foreach (var file in Directory.GetFiles(Path.Combine(fixture.Valid, cls)))
                File.Copy(file, Path.Combine(data, cls, Path.GetFileName(file)));
        }
        var output = fixture.Scratch("evaluate");
        CliRun.Of("evaluate", "--model", fixture.Model, "--data", data, "--positive", "pos", "--out", output).Succeeded();

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "metrics.json")));
        Assert.Equal("pos", json.RootElement.GetProperty("positiveClass").GetString());
        Assert.Equal(TinyModelFixture.ValidPerClass, json.RootElement.GetProperty("positives").GetInt32());
        Assert.Equal(Accuracy(Path.Combine(fixture.Out, "metrics.json")), json.RootElement.GetProperty("accuracy").GetDouble());
    }

    private static double Accuracy(string metricsFile)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(metricsFile));
        return json.RootElement.GetProperty("accuracy").GetDouble();
    }
}
