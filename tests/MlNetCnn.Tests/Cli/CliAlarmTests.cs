namespace MlNetCnn.Tests.Cli;

[Collection(TinyModelCollection.Name)]
public sealed class CliAlarmTests
{
    private readonly TinyModelFixture fixture;

    public CliAlarmTests(TinyModelFixture fixture) => this.fixture = fixture;

    [Fact]
    public void Train_reports_an_alarm_as_a_warning_line_and_in_metrics_json()
    {
        // A validation folder whose labels are the other way round: CNN003.
        var valid = TinyImageFolder.Write(fixture.Scratch("inverted"), 10, seed: 3);
        var csv = Path.Combine(valid, "labels.csv");
        File.WriteAllLines(csv, File.ReadAllLines(csv).Select((line, i) => i == 0 ? line
            : line.EndsWith(",true", StringComparison.Ordinal) ? line[..^5] + ",false" : line[..^6] + ",true"));
        var output = fixture.Scratch("out");

        var run = CliRun.Of(TinyModelFixture.TrainArgs(fixture.Train, valid, output)).Succeeded();

        Assert.Contains("mlnetcnn: warning: CNN003 inverted labels", run.Error);
        Assert.Contains("CNN003", File.ReadAllText(Path.Combine(output, "metrics.json")));
    }

    [Fact]
    public void Train_reports_an_error_alarm_as_one_error_line_and_a_non_zero_exit()
    {
        var output = fixture.Scratch("out");
        var run = CliRun.Of(TinyModelFixture.TrainArgs(fixture.Train, fixture.Valid, output).Select(a => a == "0.01" ? "1e30" : a).ToArray());

        run.FailedWith("CNN004 diverged");
        Assert.False(File.Exists(Path.Combine(output, "model.zip")));
    }
}
