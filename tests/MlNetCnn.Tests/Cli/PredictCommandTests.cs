using System.Globalization;
using System.Text.Json;

namespace MlNetCnn.Tests.Cli;

[Collection(TinyModelCollection.Name)]
public sealed class PredictCommandTests
{
    private readonly TinyModelFixture fixture;

    public PredictCommandTests(TinyModelFixture fixture) => this.fixture = fixture;

    [Fact]
    public void Predict_json_parses_and_matches_the_library_scores_exactly()
    {
        fixture.Run.Succeeded();
        var folder = Path.Combine(fixture.Valid, "pos");
        var single = Path.Combine(fixture.Valid, "neg", "000.png");
        var run = CliRun.Of("predict", "--model", fixture.Model, "--json", folder, single).Succeeded();

        using var json = JsonDocument.Parse(run.Out);
        var predictions = json.RootElement.EnumerateArray()
            .Select(e => (Path: e.GetProperty("path").GetString()!, Label: e.GetProperty("label").GetBoolean(), Probability: e.GetProperty("probability").GetSingle()))
            .ToArray();
        Assert.Equal(TinyModelFixture.ValidPerClass + 1, predictions.Length);
        Assert.Equal(single, predictions[^1].Path);

        var expected = ModelScores.Predictions(fixture.Model, predictions.Select(p => p.Path));
        for (var i = 0; i < predictions.Length; i++)
        {
            Assert.Equal(expected[i].Probability, predictions[i].Probability);
            Assert.Equal(expected[i].PredictedLabel, predictions[i].Label);
        }
    }

    [Fact]
    public void Predict_prints_one_line_per_image_with_path_label_and_round_trip_probability()
    {
        fixture.Run.Succeeded();
        var folder = Path.Combine(fixture.Valid, "neg");
        var run = CliRun.Of("predict", "--model", fixture.Model, folder).Succeeded();

        var lines = run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(TinyModelFixture.ValidPerClass, lines.Length);
        var expected = ModelScores.Predictions(fixture.Model, lines.Select(l => l.Split('\t')[0]));
        for (var i = 0; i < lines.Length; i++)
        {
            var fields = lines[i].Split('\t');
            Assert.Equal(3, fields.Length);
            Assert.Equal(expected[i].PredictedLabel, bool.Parse(fields[1]));
            Assert.Equal(expected[i].Probability, float.Parse(fields[2], CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public async Task A_model_saved_in_this_process_scores_identically_in_another_process()
    {
        fixture.Run.Succeeded();
        var folder = Path.Combine(fixture.Valid, "pos");
        var cli = Path.Combine(AppContext.BaseDirectory, "MlNetCnn.Cli.dll");
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { cli, "predict", "--model", fixture.Model, "--json", folder })
            start.ArgumentList.Add(arg);
        using var process = System.Diagnostics.Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, await stderr);

        using var json = JsonDocument.Parse(await stdout);
        var predictions = json.RootElement.EnumerateArray()
            .Select(e => (Path: e.GetProperty("path").GetString()!, Probability: e.GetProperty("probability").GetSingle()))
            .ToArray();
        Assert.Equal(TinyModelFixture.ValidPerClass, predictions.Length);
        var expected = ModelScores.Predictions(fixture.Model, predictions.Select(p => p.Path));
        Assert.Equal(expected.Select(e => e.Probability), predictions.Select(p => p.Probability));
    }
}
