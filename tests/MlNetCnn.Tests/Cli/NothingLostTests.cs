using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace MlNetCnn.Tests.Cli;

/// <summary>
/// Issue 6, item 7: a <c>train</c> process killed mid-run leaves the earlier model.zip byte for byte, and
/// <c>--resume</c> on its checkpoint folder ends where an unbroken run ends: the same loss at every epoch, the same scores.
/// </summary>
[Collection(TinyModelCollection.Name)]
public sealed class NothingLostTests
{
    private const int Epochs = 8;
    private const int KillAfterEpoch = 2;

    private readonly TinyModelFixture fixture;

    public NothingLostTests(TinyModelFixture fixture) => this.fixture = fixture;

    [Fact]
    public async Task A_killed_run_leaves_the_earlier_model_and_resumes_to_the_unbroken_runs_losses()
    {
        fixture.Run.Succeeded();
        var train = TinyImageFolder.Write(fixture.Scratch("train"), perClass: 48, seed: 11);
        var output = fixture.Scratch("out");
        var checkpoints = fixture.Scratch("checkpoints");
        Directory.CreateDirectory(output);
        var model = Path.Combine(output, "model.zip");
        File.Copy(fixture.Model, model);
        var earlier = File.ReadAllBytes(model);

        CliRun killed;
        using (var child = CliProcess.Start(Args(train, output, "--checkpoint", checkpoints)))
        {
            var clock = Stopwatch.StartNew();
            while (NewestCheckpoint(checkpoints) < KillAfterEpoch && !child.HasExited && clock.Elapsed < TimeSpan.FromMinutes(2))
                await Task.Delay(10);
            if (child.HasExited)
                Assert.Fail($"the run ended before epoch {KillAfterEpoch}'s checkpoint: {(await child.WaitAsync(TimeSpan.FromSeconds(5))).Error}");
            child.Kill();
            killed = await child.WaitAsync(TimeSpan.FromSeconds(5));
        }

        var reached = NewestCheckpoint(checkpoints);
        Assert.True(reached < Epochs, $"the kill came after the last epoch's checkpoint; the run was too fast to test:\n{killed.Out}");
        Assert.True(earlier.AsSpan().SequenceEqual(File.ReadAllBytes(model)), $"model.zip changed; killed after epoch {reached}:\n{killed.Out}");

        using (var child = CliProcess.Start(Args(train, output, "--checkpoint", checkpoints, "--resume")))
        {
            var resumed = (await child.WaitAsync(TimeSpan.FromMinutes(2))).Succeeded();
            Assert.Contains($"Resumed from the checkpoint in '{checkpoints}' after epoch {reached}.", resumed.Out);
        }
        var resumedLosses = TrainingLosses(output);
        var resumedScores = Scores(model);

        var unbroken = fixture.Scratch("unbroken");
        CliRun.Of(Args(train, unbroken)).Succeeded();

        Assert.Equal(Epochs, resumedLosses.Length);
        Assert.Equal(TrainingLosses(unbroken), resumedLosses);
        Assert.Equal(Scores(Path.Combine(unbroken, "model.zip")), resumedScores);
    }

    // Big enough images and layers that an epoch takes a good fraction of a second: the kill lands mid-run.
    // One thread: OpenMP threads on a busy two-core machine can stall an epoch for seconds.
    private string[] Args(string train, string output, params string[] more) =>
    [
        "train", "--train", train, "--valid", fixture.Valid, "--out", output, "--image-size", "64", "--conv-channels", "16,32",
        "--dense-units", "32", "--epochs", Epochs.ToString(CultureInfo.InvariantCulture), "--batch-size", "8", "--lr", "0.003",
        "--threads", "1", .. more,
    ];

    private static int NewestCheckpoint(string folder) =>
        Directory.Exists(folder)
            ? Directory.GetDirectories(folder, "epoch-*").Select(Path.GetFileName)
                .Select(n => int.TryParse(n!["epoch-".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var e) ? e : 0).DefaultIfEmpty(0).Max()
            : 0;

    private static double[] TrainingLosses(string output)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "metrics.json")));
        return json.RootElement.GetProperty("history").EnumerateArray().Select(e => e.GetProperty("trainingLoss").GetDouble()).ToArray();
    }

    private float[] Scores(string model) =>
        ModelScores.Of(model, LabelledImages(fixture.Valid));

    private static string[] LabelledImages(string folder) =>
        Directory.GetFiles(folder, "*.png", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
}
