using System.Text.Json;

namespace MlNetCnn.Tests.Cli;

/// <summary>
/// Issue 6, item 5, across processes: two <c>train</c> processes with the same seed, data and thread count write
/// models that score bit for bit alike. (Within one process: CnnEstimatorTests.The_same_seed_gives_the_same_scores_and_another_seed_does_not.)
/// </summary>
[Collection(TinyModelCollection.Name)]
public sealed class RepeatableRunsTests
{
    private readonly TinyModelFixture fixture;

    public RepeatableRunsTests(TinyModelFixture fixture) => this.fixture = fixture;

    [Fact]
    public async Task Two_processes_with_the_same_seed_data_and_threads_give_bit_identical_losses_and_scores()
    {
        var outputs = new[] { fixture.Scratch("first"), fixture.Scratch("second") };
        // Two threads, run side by side: libtorch's multi-threaded kernels under contention, where a difference would show.
        var children = outputs.Select(o => CliProcess.Start(TinyModelFixture.TrainArgs(fixture.Train, fixture.Valid, o, "--threads", "2", "--seed", "5"))).ToArray();
        try
        {
            foreach (var child in children)
                (await child.WaitAsync(TimeSpan.FromMinutes(3))).Succeeded();
        }
        finally
        {
            foreach (var child in children)
                child.Dispose();
        }

        var images = Directory.GetFiles(fixture.Valid, "*.png", SearchOption.AllDirectories)
            .Concat(Directory.GetFiles(fixture.Train, "*.png", SearchOption.AllDirectories)).Order(StringComparer.Ordinal).ToArray();
        var first = ModelScores.Of(Path.Combine(outputs[0], "model.zip"), images);
        var second = ModelScores.Of(Path.Combine(outputs[1], "model.zip"), images);
        Assert.Equal(images.Length, first.Length);
        Assert.Equal(first, second);
        Assert.Equal(History(outputs[0]), History(outputs[1]));
    }

    private static (double Training, double? Validation)[] History(string output)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "metrics.json")));
        return json.RootElement.GetProperty("history").EnumerateArray()
            .Select(e => (e.GetProperty("trainingLoss").GetDouble(), (double?)e.GetProperty("validationLoss").GetDouble())).ToArray();
    }
}
