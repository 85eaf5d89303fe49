using System.Text.Json;
using Microsoft.ML;
using MlNetCnn.Tasks;
using MlNetCnn.Tests.Cli;
using MlNetCnn.Tests.Support;

namespace MlNetCnn.Tests.Persistence;

/// <summary>
/// Binary stays as it was, bit for bit, across the task type and the loop's seam: the model, predictions and
/// checkpoint in Fixtures/format-0x00010009 (see its README) were made by the commit before them.
/// </summary>
public sealed class BeforeTheTaskTypeTests
{
    private static readonly string Fixture = Path.Combine(AppContext.BaseDirectory, "Fixtures", "format-0x00010009");
    private static readonly string Valid = Path.Combine(AppContext.BaseDirectory, "Fixtures", "format-0x00010004", "valid");
    private static Dictionary<string, float> Expected =>
        JsonSerializer.Deserialize<Dictionary<string, float>>(File.ReadAllText(Path.Combine(Fixture, "predict.json")))!;

    private static Dictionary<string, float> Predict(string model)
    {
        var run = CliRun.Of("predict", "--model", model, "--json", Path.Combine(Valid, "7"), Path.Combine(Valid, "9")).Succeeded();
        return JsonDocument.Parse(run.Out).RootElement.EnumerateArray().ToDictionary(
            e => Path.GetRelativePath(Valid, e.GetProperty("path").GetString()!), e => e.GetProperty("probability").GetSingle());
    }

    /// <summary>The first 24 images (by name) of each class of data/train, as class subfolders.</summary>
    private static string TrainingFolder(CliTempFolder temp)
    {
        var root = temp["train"];
        foreach (var label in new[] { "7", "9" })
        {
            Directory.CreateDirectory(Path.Combine(root, label));
            foreach (var file in Directory.GetFiles(Path.Combine(ShippedImages.DataFolder, "train", label)).Order(StringComparer.Ordinal).Take(24))
                File.Copy(file, Path.Combine(root, label, Path.GetFileName(file)));
        }
        return root;
    }

    private static string[] TrainArguments(string train, string outFolder, string checkpoint) =>
    [
        "train", "--train", train, "--valid", Valid, "--positive", "9", "--image-size", "12", "--conv-channels", "16", "--dense-units", "8",
        "--epochs", "2", "--batch-size", "8", "--lr", "0.01", "--seed", "1", "--out", outFolder, "--checkpoint", checkpoint,
        // The fixture's run had libtorch's default on a 2-core machine; an earlier test in this process may have set another count.
        "--threads", "2",
        // The CLI's defaults of that release, where later ones differ (issue 28: a 1-pixel shift, early stopping).
        "--shift", "0", "--early-stopping", "off",
    ];

    [Fact]
    public void Its_model_loads_as_binary_and_scores_every_image_exactly_as_before()
    {
        Assert.Equal(Expected, Predict(Path.Combine(Fixture, "model.zip")));
        using var stream = File.OpenRead(Path.Combine(Fixture, "model.zip"));
        var model = new MLContext(1).Model.Load(stream, out _);
        Assert.Same(CnnTask.Binary, model.FindCnn().Task);
        (model as IDisposable)?.Dispose();
    }

    [Fact]
    public void The_same_seed_trains_the_same_model_as_before()
    {
        using var temp = new CliTempFolder();
        CliRun.Of(TrainArguments(TrainingFolder(temp), temp["out"], temp["ckpt"])).Succeeded();
        Assert.Equal(Expected, Predict(Path.Combine(temp["out"], "model.zip")));
    }

    [Fact]
    public void Its_epoch_1_checkpoint_resumes_to_the_model_the_unbroken_run_made()
    {
        using var temp = new CliTempFolder();
        var checkpoint = temp["ckpt"];
        Directory.CreateDirectory(checkpoint);
        var saved = Path.Combine(Fixture, "checkpoint", "epoch-0001");
        var copy = Path.Combine(checkpoint, "epoch-0001");
        Directory.CreateDirectory(copy);
        foreach (var file in Directory.GetFiles(saved))
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));

        var run = CliRun.Of([.. TrainArguments(TrainingFolder(temp), temp["out"], checkpoint), "--resume"]).Succeeded();

        Assert.Contains($"Resumed from the checkpoint in '{checkpoint}' after epoch 1.", run.Out);
        Assert.Equal(Expected, Predict(Path.Combine(temp["out"], "model.zip")));
    }
}
