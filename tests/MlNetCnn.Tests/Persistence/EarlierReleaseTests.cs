using MlNetCnn.Training;
using System.Text.Json;
using Microsoft.ML;
using MlNetCnn.Network;
using MlNetCnn.Persistence;
using MlNetCnn.Tests.Cli;

namespace MlNetCnn.Tests.Persistence;

/// <summary>
/// What an earlier release wrote still works: the model and checkpoint in Fixtures/format-0x00010004 (see its README)
/// were made by the release before the image step and class names.
/// </summary>
public sealed class EarlierReleaseTests
{
    private static readonly string Fixture = Path.Combine(AppContext.BaseDirectory, "Fixtures", "format-0x00010004");
    private static string Model => Path.Combine(Fixture, "model.zip");
    private static string Valid => Path.Combine(Fixture, "valid");

    [Fact]
    public void Its_model_scores_every_image_exactly_as_that_release_did_and_names_no_classes()
    {
        var expected = JsonSerializer.Deserialize<Dictionary<string, float>>(File.ReadAllText(Path.Combine(Fixture, "predict.json")))!;
        var run = CliRun.Of("predict", "--model", Model, "--json", Valid).Succeeded();
        var seen = JsonDocument.Parse(run.Out).RootElement.EnumerateArray().ToArray();
        Assert.Equal(expected.Count, seen.Length);
        foreach (var entry in seen)
        {
            var relative = Path.GetRelativePath(Valid, entry.GetProperty("path").GetString()!);
            Assert.Equal(expected[relative], entry.GetProperty("probability").GetSingle());
            // The model has no class names: the class is the label.
            Assert.Equal(entry.GetProperty("label").GetBoolean() ? "true" : "false", entry.GetProperty("class").GetString());
        }

        var ml = new MLContext(1);
        using var stream = File.OpenRead(Model);
        var model = ml.Model.Load(stream, out _);
        var cnn = model.FindCnn();
        Assert.Null(cnn.PositiveClassName);
        Assert.Null(cnn.NegativeClassName);
        Assert.Equal(2, cnn.Report.History.Count);
        Assert.Empty(cnn.Report.UnreadableRows);
        Assert.Equal(0, cnn.Report.UnreadableRowCount);
        // Before format 0x00010009 there was no precision stream: every model then trained in Float32.
        Assert.Equal(Precision.Float32, cnn.TrainingPrecision);
        Assert.Equal(Precision.Auto, cnn.ScoringPrecision);
        (model as IDisposable)?.Dispose();
    }

    [Fact]
    public void Evaluate_on_class_folders_with_its_model_still_asks_which_is_positive()
    {
        using var temp = new CliTempFolder();
        CliRun.Of("evaluate", "--model", Model, "--data", Valid, "--out", temp["a"]).FailedWith("say which is positive with --positive");
        CliRun.Of("evaluate", "--model", Model, "--data", Valid, "--out", temp["b"], "--positive", "9").Succeeded();
        using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(temp["b"], "metrics.json")));
        Assert.Equal(16, metrics.RootElement.GetProperty("count").GetInt32());
    }

    [Fact]
    public void Its_checkpoint_restores_both_epochs()
    {
        var folder = Path.Combine(Fixture, "checkpoint");
        string fingerprint;
        using (var reader = new BinaryReader(File.OpenRead(Path.Combine(folder, "epoch-0002", "state.bin"))))
        {
            Assert.Equal(3, reader.ReadInt32()); // checkpoint format 3
            reader.ReadInt32();
            reader.ReadInt32();
            fingerprint = reader.ReadString();
        }
        MlNetCnn.Native.TorchRuntime.EnsureLoaded();
        using var network = new CnnNetwork(new ImageGeometry(1, 12, 12), new NetworkShape([16], 5, 2, [8]));
        var optimizer = new AdamOptimizer(network.parameters(), 0.01, 0);
        var restored = new CheckpointStore(folder, Precision.Float32).Restore(network, optimizer, fingerprint)
            ?? throw new Xunit.Sdk.XunitException("the checkpoint was not restored");
        Assert.Empty(restored.State.UnreadableRows);
        // The checkpoint and the model came from one run (README): the same two epochs, to the bit, and the accuracy the README gives.
        using var stream = File.OpenRead(Model);
        var model = new MLContext(1).Model.Load(stream, out _);
        var history = model.FindCnn().Report.History;
        (model as IDisposable)?.Dispose();
        Assert.Equal(history.Select(r => (r.Epoch, r.TrainingLoss, r.Validation)), restored.State.History.Select(r => (r.Epoch, r.TrainingLoss, r.Validation)));
        Assert.Equal(0.875, restored.State.History[^1].Validation!.Accuracy);
    }
}
