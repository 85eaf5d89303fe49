using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace MlNetCnn.Tests.Cli;

public sealed class TimeBudgetCommandTests(TinyModelFixture fixture) : IClassFixture<TinyModelFixture>
{
    // TinyModelFixture.TrainArgs without its --epochs, so that the time budget decides them.
    private string[] Args(string output, params string[] more) =>
    [
        "train", "--train", fixture.Train, "--valid", fixture.Valid, "--out", output,
        "--image-size", TinyImageFolder.Side.ToString(CultureInfo.InvariantCulture),
        "--conv-channels", "16", "--dense-units", "8", "--batch-size", "8", "--lr", "0.01", .. more,
    ];

    [Theory]
    [InlineData("90s", "1m30s")]
    [InlineData("1m30s", "1m30s")]
    [InlineData("2m", "2m")]
    [InlineData("1.5m", "1m30s")]
    [InlineData("45", "45s")]
    [InlineData("00:02:00", "2m")]
    public void Time_takes_seconds_minutes_or_both(string given, string recorded)
    {
        // --epochs wins, so the run is short; metrics.json records the budget as read.
        var output = fixture.Scratch("time");
        CliRun.Of(Args(output, "--time", given, "--epochs", "1")).Succeeded();
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "metrics.json")));
        var training = json.RootElement.GetProperty("training");
        Assert.Equal(recorded, training.GetProperty("options").GetProperty("TrainingTime").GetString());
        Assert.Equal(1, training.GetProperty("epochs").GetInt32());
        Assert.Equal(JsonValueKind.Null, training.GetProperty("timeBudget").ValueKind);
    }

    [Theory]
    [InlineData("soon")]
    [InlineData("2 weeks")]
    [InlineData("m2")]
    public void Time_refuses_what_is_not_a_duration(string given)
    {
        using var temp = new CliTempFolder();
        var run = CliRun.Of(Args(temp.Path, "--time", given));
        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"--time '{given}' is not a duration: give e.g. 90s, 2m or 1m30s.", run.Error);
    }

    [Fact]
    public void Time_in_a_config_file_is_read_as_written()
    {
        var output = fixture.Scratch("config");
        var file = Path.Combine(fixture.Scratch("config-file") + ".json");
        File.WriteAllText(file, """{ "TrainingTime": "1m30s", "Epochs": 1 }""");
        CliRun.Of(Args(output, "--config", file)).Succeeded();
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "metrics.json")));
        Assert.Equal("1m30s", json.RootElement.GetProperty("training").GetProperty("options").GetProperty("TrainingTime").GetString());
    }

    [Fact]
    public void A_budgeted_run_says_the_epochs_it_fixed_and_how_much_of_the_budget_it_used()
    {
        var output = fixture.Scratch("budget");
        var run = CliRun.Of(Args(output, "--time", "4s")).Succeeded();
        var fixedLine = Regex.Match(run.Out, @"Time budget 4\.0 s: (\d+) epochs fit, fixed now \(--epochs (\d+) repeats this run\)\.");
        Assert.True(fixedLine.Success, run.Out);
        var epochs = int.Parse(fixedLine.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.Equal(epochs, int.Parse(fixedLine.Groups[2].Value, CultureInfo.InvariantCulture));
        Assert.True(Regex.IsMatch(run.Out, @"; trained \d+( of \d+ epochs \(stopped by [^)]+\)| epochs?) in \d\.\d s of a 4\.0 s budget \("), run.Out);
        Assert.Contains("left of the 0:04 budget", run.Out);

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "metrics.json")));
        var training = json.RootElement.GetProperty("training");
        var budget = training.GetProperty("timeBudget");
        Assert.Equal(4, budget.GetProperty("seconds").GetDouble());
        Assert.Equal(epochs, budget.GetProperty("epochsFixed").GetInt32());
        Assert.Equal(epochs, training.GetProperty("epochs").GetInt32());
        Assert.Equal(json.RootElement.GetProperty("history").GetArrayLength(), budget.GetProperty("epochsTrained").GetInt32());
        Assert.InRange(budget.GetProperty("usedShare").GetDouble(), 0, 1 + CnnOptions.TrainingTimeTolerance);
    }
}
