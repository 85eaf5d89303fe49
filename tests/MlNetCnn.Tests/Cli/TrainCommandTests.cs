using System.Text.Json;
using MlNetCnn.Native;
using SkiaSharp;
using MlNetCnn.Tests.Support;

namespace MlNetCnn.Tests.Cli;

[Collection(TinyModelCollection.Name)]
public sealed class TrainCommandTests
{
    private readonly TinyModelFixture fixture;

    public TrainCommandTests(TinyModelFixture fixture) => this.fixture = fixture;

    [Fact]
    public void Train_on_a_tiny_folder_exits_0_and_writes_model_curves_roc_and_metrics()
    {
        fixture.Run.Succeeded();
        foreach (var file in new[] { "model.zip", "curves.png", "roc.png", "metrics.json" })
            Assert.True(File.Exists(Path.Combine(fixture.Out, file)), $"{file} is missing");
        Assert.Empty(Directory.GetFiles(fixture.Out, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void Train_writes_pngs_that_decode_with_the_plot_sizes()
    {
        fixture.Run.Succeeded();
        using var curves = SKBitmap.Decode(Path.Combine(fixture.Out, "curves.png"));
        using var roc = SKBitmap.Decode(Path.Combine(fixture.Out, "roc.png"));
        Assert.Equal((1280, 480), (curves.Width, curves.Height));
        Assert.Equal((520, 520), (roc.Width, roc.Height));
        // A white background, not a transparent one.
        Assert.Equal(SKColors.White, curves.GetPixel(2, 2));
    }

    [Fact]
    public void Train_metrics_json_covers_the_whole_validation_folder_and_every_epoch()
    {
        fixture.Run.Succeeded();
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(fixture.Out, "metrics.json")));
        var root = json.RootElement;
        Assert.Equal(2 * TinyModelFixture.ValidPerClass, root.GetProperty("count").GetInt32());
        var matrix = root.GetProperty("confusionMatrix");
        var total = new[] { "truePositives", "falsePositives", "trueNegatives", "falseNegatives" }.Sum(k => matrix.GetProperty(k).GetInt32());
        Assert.Equal(2 * TinyModelFixture.ValidPerClass, total);
        // The accuracy is the share of the folder's images that the saved model, loaded by ML.NET alone, labels right.
        var images = File.ReadLines(Path.Combine(fixture.Valid, "labels.csv")).Skip(1).Select(l => l.Split(','))
            .Select(f => (Path: Path.Combine(fixture.Valid, f[0]), Label: bool.Parse(f[1]))).ToArray();
        var predictions = ModelScores.Predictions(fixture.Model, images.Select(i => i.Path));
        var correct = images.Zip(predictions).Count(p => p.First.Label == p.Second.PredictedLabel);
        Assert.Equal((double)correct / images.Length, root.GetProperty("accuracy").GetDouble(), 12);
        Assert.Equal(correct, matrix.GetProperty("truePositives").GetInt32() + matrix.GetProperty("trueNegatives").GetInt32());
        Assert.Equal(TinyModelFixture.Epochs, root.GetProperty("history").GetArrayLength());
        Assert.Equal(2 * TinyModelFixture.TrainPerClass, root.GetProperty("training").GetProperty("trainCount").GetInt32());
    }

    [Fact]
    public void Train_with_redirected_output_prints_a_plain_line_per_epoch_then_the_tables()
    {
        var output = fixture.Run.Succeeded().Out;
        var epoch1 = output.IndexOf("Epoch 1/2: training loss", StringComparison.Ordinal);
        var epoch2 = output.IndexOf("Epoch 2/2: training loss", StringComparison.Ordinal);
        var confusion = output.IndexOf("Confusion matrix", StringComparison.Ordinal);
        Assert.True(epoch1 >= 0 && epoch2 > epoch1 && confusion > epoch2, output);
        foreach (var metric in new[] { "accuracy", "AUC", "F1", "precision", "recall", "log-loss" })
            Assert.Contains(metric, output);
    }

    [Fact]
    public void Train_reports_training_accuracy_beside_validation_accuracy_in_the_table_metrics_json_and_the_model()
    {
        var output = fixture.Run.Succeeded().Out;
        Assert.Contains("train acc.", output);
        Assert.Contains("Epoch 2/2: training loss", output);
        Assert.Contains(", training accuracy ", output);

        var ml = new Microsoft.ML.MLContext();
        _ = typeof(Microsoft.ML.Data.ImageLoadingTransformer).Assembly;
        var model = ml.Model.Load(fixture.Model, out _);
        var history = model.FindCnn().Report.History;
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(fixture.Out, "metrics.json")));
        var written = json.RootElement.GetProperty("history").EnumerateArray().Select(e => e.GetProperty("trainingAccuracy").GetDouble()).ToArray();
        (model as IDisposable)?.Dispose();

        Assert.Equal(history.Select(r => r.TrainingAccuracy), written);
        // A share of the epoch's training images: whole images out of the fixture's 2 × 16.
        const int images = 2 * TinyModelFixture.TrainPerClass;
        Assert.All(written, a => Assert.True(Math.Abs(a * images - Math.Round(a * images)) < 1e-9, $"{a} is not a count of {images} images"));
        foreach (var r in history)
            Assert.Contains(r.TrainingAccuracy.ToString("F4", System.Globalization.CultureInfo.InvariantCulture), output);
    }

    [Fact]
    public void Train_curves_show_training_accuracy_beside_validation_accuracy_and_mark_the_best_epoch_on_both_panels()
    {
        fixture.Run.Succeeded();
        using var curves = SKBitmap.Decode(Path.Combine(fixture.Out, "curves.png"));
        var training = new SKColor(0x1f, 0x77, 0xb4);
        var validation = new SKColor(0xd6, 0x27, 0x28);
        var marker = new SKColor(0x2c, 0xa0, 0x2c);
        bool Has(SKColor color, int fromX, int toX)
        {
            for (var x = fromX; x < toX; x++)
            for (var y = 0; y < curves.Height; y++)
                if (curves.GetPixel(x, y) == color) return true;
            return false;
        }
        var half = curves.Width / 2;

        // Right panel: accuracy, the training curve beside the validation one.
        Assert.True(Has(training, half, curves.Width), "no training-accuracy curve in the accuracy panel");
        Assert.True(Has(validation, half, curves.Width), "no validation-accuracy curve in the accuracy panel");
        // The best epoch (the last here: no early stopping) is marked on both panels.
        Assert.True(Has(marker, 0, half), "no best-epoch marker in the loss panel");
        Assert.True(Has(marker, half, curves.Width), "no best-epoch marker in the accuracy panel");
    }

    [Fact]
    public void Train_rejects_an_image_size_too_small_for_the_network()
    {
        using var temp = new CliTempFolder();
        CliRun.Of("train", "--train", fixture.Train, "--valid", fixture.Valid, "--out", temp.Path, "--image-size", "20")
            .FailedWith("--image-size 20: Images of 1×20×20 are too small for this network");
        Assert.Empty(Directory.GetFileSystemEntries(temp.Path));
    }

    [Fact]
    public void Train_without_settings_uses_the_defaults_docs_cli_gives()
    {
        // docs/cli.md, "The CLI's defaults": conv 16,32,64, a 2 min time budget, batch 64, learning rate 0.001 (cosine),
        // mirror and a 1-pixel shift, early stopping after 10 epochs without a better accuracy, 36×36. The budget is
        // cut here to keep the test short; every other setting is the default.
        var output = fixture.Scratch("defaults");
        var run = CliRun.Of("train", "--train", fixture.Train, "--valid", fixture.Valid, "--out", output, "--time", "3s").Succeeded();
        Assert.Contains("Images 36×36", run.Out);
        Assert.Contains("network conv [16, 32, 64] k5 pool2, dense [500, 500] → 1; a 3.0 s time budget, batch 64, learning rate 0.001 (Cosine)", run.Out);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "metrics.json")));
        var options = json.RootElement.GetProperty("training").GetProperty("options");
        Assert.Equal(36, options.GetProperty("ImageSize").GetInt32());
        Assert.Equal("Stretch", options.GetProperty("Resize").GetString());
        Assert.Equal(new[] { 16, 32, 64 }, options.GetProperty("ConvolutionChannels").EnumerateArray().Select(c => c.GetInt32()));
        Assert.Equal(new[] { 500, 500 }, options.GetProperty("HiddenUnits").EnumerateArray().Select(c => c.GetInt32()));
        Assert.Equal(5, options.GetProperty("KernelSize").GetInt32());
        Assert.Equal(JsonValueKind.Null, options.GetProperty("Epochs").ValueKind);
        Assert.Equal(64, options.GetProperty("BatchSize").GetInt32());
        Assert.Equal(0.001, options.GetProperty("LearningRate").GetDouble());
        Assert.Equal("Cosine", options.GetProperty("LearningRateSchedule").GetString());
        Assert.Equal(0, options.GetProperty("WeightDecay").GetDouble());
        Assert.True(options.GetProperty("RandomHorizontalFlip").GetBoolean());
        Assert.Equal(1, options.GetProperty("RandomShiftPixels").GetInt32());
        Assert.Equal(10, options.GetProperty("EarlyStoppingPatience").GetInt32());
        Assert.Equal("Accuracy", options.GetProperty("EarlyStoppingMetric").GetString());
        Assert.Equal(1, options.GetProperty("Seed").GetInt32());
        Assert.Equal(json.RootElement.GetProperty("history").GetArrayLength(), json.RootElement.GetProperty("training").GetProperty("timeBudget").GetProperty("epochsTrained").GetInt32());

        var help = CliRun.Of("train", "--help").Succeeded().Out;
        foreach (var text in new[] { "Default 16,32,64.", "Default 2m.", "Default 64.", "Default 0.001.", "Default Cosine.", "Default on: --flip false turns it off.", "Default 36.",
            "Default: as many as fit in --time", "Or 'off' for none.", "Default Accuracy." })
            Assert.Contains(text, help);
    }

    [Fact]
    public void Early_stopping_off_turns_the_default_off()
    {
        var output = fixture.Scratch("no-early-stopping");
        CliRun.Of(TinyModelFixture.TrainArgs(fixture.Train, fixture.Valid, output, "--early-stopping", "off")).Succeeded();
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "metrics.json")));
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("training").GetProperty("options").GetProperty("EarlyStoppingPatience").ValueKind);
    }

    [Fact]
    public void Flip_false_turns_the_default_mirror_off()
    {
        var output = fixture.Scratch("no-flip");
        CliRun.Of(TinyModelFixture.TrainArgs(fixture.Train, fixture.Valid, output, "--flip", "false")).Succeeded();
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "metrics.json")));
        Assert.False(json.RootElement.GetProperty("training").GetProperty("options").GetProperty("RandomHorizontalFlip").GetBoolean());
    }

    [Fact]
    public void Precision_takes_bfloat16_records_it_and_refuses_an_unknown_format()
    {
        var output = fixture.Scratch("bfloat16");
        CliRun.Of(TinyModelFixture.TrainArgs(fixture.Train, fixture.Valid, output, "--precision", "BFloat16")).Succeeded();
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "metrics.json")));
        Assert.Equal("BFloat16", json.RootElement.GetProperty("training").GetProperty("options").GetProperty("Precision").GetString());

        using var temp = new CliTempFolder();
        var unknown = CliRun.Of(TinyModelFixture.TrainArgs(fixture.Train, fixture.Valid, temp.Path, "--precision", "Half"));
        Assert.NotEqual(0, unknown.ExitCode);
        Assert.Contains("'Half' for option '--precision'", unknown.Error);
    }

    [Fact]
    public async Task In_its_own_process_train_with_precision_auto_trains_on_oneDNNs_bfloat16_kernels_where_the_CPU_has_them()
    {
        var output = fixture.Scratch("auto-own-process");
        // This test process holds MlNetCnn's cap (ONEDNN_MAX_CPU_ISA=AVX2) where the machine hides its cache sizes; a
        // child that inherited it would count it as its own. oneDNN's verbose log says which kernels ran, and this test
        // reads the CPU's flags itself: neither is the code under test's own verdict.
        using var cli = CliProcess.StartWith(new Dictionary<string, string?> { ["ONEDNN_MAX_CPU_ISA"] = null, ["DNNL_MAX_CPU_ISA"] = null, [ScoringProbe.OneDnnVerbose] = "1" },
            TinyModelFixture.TrainArgs(fixture.Train, fixture.Valid, output, "--precision", "Auto"));
        var run = await cli.WaitAsync(TimeSpan.FromMinutes(3));

        run.Succeeded();
        var lines = run.Out.Split('\n');
        var said = Assert.Single(lines, l => l.StartsWith("Precision Auto: ", StringComparison.Ordinal));
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "metrics.json")));
        var used = json.RootElement.GetProperty("training").GetProperty("precision").GetString();
        Assert.StartsWith($"Precision Auto: {used}", said);
        var oneDnn = new OneDnnLog(lines);
        // 16 channels: the counts bfloat16 kernels were measured right for. Training ran them backward too.
        Assert.Equal(CpuFlags.HasBFloat16 ? "BFloat16" : "Float32", used);
        Assert.True(CpuFlags.HasBFloat16 == oneDnn.BFloat16Compute.Any(e => e.Kind == "convolution" && e.Propagation == "backward_weights"), oneDnn.Summary());
        Assert.True(CpuFlags.HasBFloat16 == oneDnn.BFloat16Compute.Any(e => e.Kind is "matmul" or "inner_product"), oneDnn.Summary());
    }

    [Fact]
    public void Run_in_process_train_leaves_the_hosts_oneDNN_cap_alone()
    {
        var output = fixture.Scratch("auto-in-process");
        var before = Environment.GetEnvironmentVariable("ONEDNN_MAX_CPU_ISA");

        var run = CliRun.Of(TinyModelFixture.TrainArgs(fixture.Train, fixture.Valid, output, "--precision", "Auto"));

        run.Succeeded();
        Assert.Equal(before, Environment.GetEnvironmentVariable("ONEDNN_MAX_CPU_ISA"));
        Assert.False(OneDnnGuard.Lifted);
        Assert.Contains(run.Out.Split('\n'), l => l.StartsWith("Precision Auto: ", StringComparison.Ordinal));
    }
}
