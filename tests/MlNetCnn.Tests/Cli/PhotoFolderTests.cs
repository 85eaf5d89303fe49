using System.Text.Json;
using MlNetCnn.Tests.Support;

namespace MlNetCnn.Tests.Cli;

/// <summary>The command line on a folder of real-world photos: every file accounted for, the model knows its classes.</summary>
public sealed class PhotoFolderTests : IClassFixture<PhotoFolderTests.Trained>
{
    /// <summary>One run of <c>train --train MESSY</c> (no --valid) shared by the tests.</summary>
    public sealed class Trained : IDisposable
    {
        private readonly CliTempFolder temp = new();

        public Trained()
        {
            Folder = temp["photos"];
            (Positives, Negatives) = MessyPhotoFolder.Write(Folder, perClass: 10);
            Out = temp["out"];
            Run = CliRun.Of(Args(Folder, Out));
        }

        // A flag in more replaces the same flag of the base run.
        public static string[] Args(string train, string output, params string[] more)
        {
            string[] basic = ["--train", train, "--positive", MessyPhotoFolder.Positive, "--out", output, "--image-size", "12",
                "--conv-channels", "16", "--dense-units", "8", "--epochs", "2", "--batch-size", "4", "--lr", "0.01"];
            var args = new List<string> { "train" };
            for (var i = 0; i < basic.Length; i += 2)
            {
                if (!more.Contains(basic[i]))
                    args.AddRange(basic.Skip(i).Take(2));
            }
            return [.. args, .. more];
        }

        public string Folder { get; }
        public string[] Positives { get; }
        public string[] Negatives { get; }
        public string Out { get; }
        public string Model => Path.Combine(Out, "model.zip");
        public CliRun Run { get; }
        public string Scratch(string name) => temp[name + "-" + Guid.NewGuid().ToString("N")];

        public void Dispose() => temp.Dispose();
    }

    private readonly Trained t;

    public PhotoFolderTests(Trained trained) => t = trained;

    private JsonElement Metrics(string folder) => JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "metrics.json"))).RootElement;

    [Fact]
    public void Train_reads_class_folders_recursively_and_holds_out_a_stratified_share_without_valid()
    {
        t.Run.Succeeded();
        // 10 + 10 images, one and two levels deep too; 20% of each class held out: 8 + 8 train, 2 + 2 validate.
        Assert.Contains("Training on 16 images in the other 80% of", t.Run.Out);
        Assert.Contains("(8 ankle boot, 8 sneaker)", t.Run.Out);
        Assert.Contains("validating on 4 images in a held-out 20% (stratified, seed 1) of", t.Run.Out);
        var metrics = Metrics(t.Out);
        Assert.Equal(4, metrics.GetProperty("count").GetInt32());
        Assert.Equal(16, metrics.GetProperty("training").GetProperty("trainCount").GetInt32());
        // The held-out images are not among the trained ones: together they are every image, once.
        Assert.Equal("ankle boot", metrics.GetProperty("positiveClass").GetString());
        Assert.DoesNotContain("data/valid", t.Run.Out);
    }

    [Fact]
    public void Every_file_that_is_not_an_image_is_named_as_ignored()
    {
        t.Run.Succeeded();
        var note = t.Run.Error.Split('\n').Single(l => l.StartsWith("mlnetcnn: note: ignored", StringComparison.Ordinal));
        Assert.Contains($"ignored {MessyPhotoFolder.NotImages.Length} files in the training folder", note);
        foreach (var name in MessyPhotoFolder.NotImages)
            Assert.Contains(name, note);
        var ignored = Metrics(t.Out).GetProperty("ignoredFiles").GetProperty("train").EnumerateArray()
            .Select(f => Path.GetRelativePath(t.Folder, f.GetProperty("path").GetString()!.TrimEnd('/')) + (f.GetProperty("reason").GetString() == "a hidden folder" ? "/" : ""))
            .ToArray();
        Assert.Equal(MessyPhotoFolder.NotImages.Order(StringComparer.Ordinal), ignored.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_model_knows_its_classes_and_predict_prints_them_for_a_folder_read_recursively()
    {
        t.Run.Succeeded();
        var run = CliRun.Of("predict", "--model", t.Model, t.Folder).Succeeded();
        var lines = run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(t.Positives.Length + t.Negatives.Length, lines.Length);
        Assert.All(lines, line => Assert.Contains(line.Split('\t')[1], new[] { MessyPhotoFolder.Positive, MessyPhotoFolder.Negative }));
        foreach (var image in t.Positives.Concat(t.Negatives))
            Assert.Contains(lines, l => Path.GetFullPath(l.Split('\t')[0]) == Path.GetFullPath(Path.Combine(t.Folder, image)));
        Assert.Contains("notes.txt", run.Error);

        var json = JsonDocument.Parse(CliRun.Of("predict", "--model", t.Model, "--json", t.Folder).Succeeded().Out).RootElement;
        foreach (var entry in json.EnumerateArray())
            Assert.Equal(entry.GetProperty("label").GetBoolean() ? MessyPhotoFolder.Positive : MessyPhotoFolder.Negative, entry.GetProperty("class").GetString());
    }

    [Fact]
    public void Predict_takes_files_and_folders_mixed_in_the_order_given()
    {
        t.Run.Succeeded();
        var file = Path.Combine(t.Folder, t.Negatives[1]);
        var sub = Path.Combine(t.Folder, MessyPhotoFolder.Positive, "2024");
        var run = CliRun.Of("predict", "--model", t.Model, file, sub).Succeeded();
        var paths = run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')[0]).ToArray();
        Assert.Equal(file, paths[0]);
        var below = t.Positives.Where(p => p.StartsWith($"{MessyPhotoFolder.Positive}/2024/", StringComparison.Ordinal)).ToArray();
        Assert.Equal(1 + below.Length, paths.Length);
        Assert.True(below.Length >= 2, "the fixture has images one and two levels below 2024/");
    }

    [Fact]
    public void Evaluate_on_class_folders_needs_no_positive_and_refuses_one_that_contradicts_the_model()
    {
        t.Run.Succeeded();
        var output = t.Scratch("eval");
        var run = CliRun.Of("evaluate", "--model", t.Model, "--data", t.Folder, "--out", output).Succeeded();
        var metrics = Metrics(output);
        Assert.Equal(20, metrics.GetProperty("count").GetInt32());
        Assert.Equal(10, metrics.GetProperty("positives").GetInt32());
        Assert.Equal("ankle boot", metrics.GetProperty("positiveClass").GetString());
        Assert.True(File.Exists(Path.Combine(output, "errors.png")));

        CliRun.Of("evaluate", "--model", t.Model, "--data", t.Folder, "--out", t.Scratch("eval"), "--positive", MessyPhotoFolder.Negative)
            .FailedWith("--positive 'sneaker' contradicts the model, whose positive class is 'ankle boot' (negative 'sneaker')");
        CliRun.Of("evaluate", "--model", t.Model, "--data", t.Folder, "--out", t.Scratch("eval"), "--positive", MessyPhotoFolder.Positive).Succeeded();

        var renamed = t.Scratch("renamed");
        CopyFolder(t.Folder, renamed);
        Directory.Move(Path.Combine(renamed, MessyPhotoFolder.Negative), Path.Combine(renamed, "trainers"));
        CliRun.Of("evaluate", "--model", t.Model, "--data", renamed, "--out", t.Scratch("eval"))
            .FailedWith("The model was trained on classes 'ankle boot' (positive) and 'sneaker'; the data folder");
    }

    [Fact]
    public void The_error_sheet_holds_the_most_confidently_wrong_images_and_the_roc_point_is_the_thresholds()
    {
        t.Run.Succeeded();
        var output = t.Scratch("eval");
        CliRun.Of("evaluate", "--model", t.Model, "--data", t.Folder, "--out", output).Succeeded();
        var metrics = Metrics(output);
        var predicted = JsonDocument.Parse(CliRun.Of("predict", "--model", t.Model, "--json", t.Folder).Succeeded().Out).RootElement.EnumerateArray()
            .ToDictionary(e => Path.GetFullPath(e.GetProperty("path").GetString()!), e => e.GetProperty("probability").GetSingle());
        var truth = t.Positives.Select(p => (p, true)).Concat(t.Negatives.Select(n => (n, false)))
            .ToDictionary(r => Path.GetFullPath(Path.Combine(t.Folder, r.Item1)), r => r.Item2);
        var threshold = metrics.GetProperty("threshold").GetSingle();
        // Every wrong prediction, by the probability given to the wrong class, highest first (at most 32).
        var expected = truth.Where(r => predicted[r.Key] >= threshold != r.Value)
            .OrderByDescending(r => r.Value ? 1 - predicted[r.Key] : predicted[r.Key]).Take(32).Select(r => r.Key).ToArray();
        var sheet = metrics.GetProperty("mostConfidentlyWrong").EnumerateArray().ToArray();
        Assert.Equal(expected.Select(p => predicted[p]), sheet.Select(e => e.GetProperty("probability").GetSingle()));
        Assert.All(sheet, e => Assert.NotEqual(e.GetProperty("class").GetString(), e.GetProperty("predicted").GetString()));
        var positives = truth.Where(r => r.Value).Select(r => predicted[r.Key]).ToArray();
        var negatives = truth.Where(r => !r.Value).Select(r => predicted[r.Key]).ToArray();
        var point = metrics.GetProperty("thresholdPoint");
        Assert.Equal((double)positives.Count(p => p >= threshold) / positives.Length, point.GetProperty("truePositiveRate").GetDouble(), 9);
        Assert.Equal((double)negatives.Count(p => p >= threshold) / negatives.Length, point.GetProperty("falsePositiveRate").GetDouble(), 9);
        using var png = SkiaSharp.SKBitmap.Decode(Path.Combine(output, "errors.png"));
        Assert.Equal(8 * 112, png.Width);
    }

    [Fact]
    public void Train_writes_an_error_sheet_and_records_every_setting_it_used()
    {
        t.Run.Succeeded();
        using var sheet = SkiaSharp.SKBitmap.Decode(Path.Combine(t.Out, "errors.png"));
        // Rows of 8 tiles of 112 + 3 × 14 pixels under a 36-pixel header, one tile per image metrics.json lists as wrong.
        var wrong = Metrics(t.Out).GetProperty("mostConfidentlyWrong").GetArrayLength();
        Assert.Equal((8 * 112, 36 + Math.Max(1, (wrong + 7) / 8) * (112 + 3 * 14)), (sheet.Width, sheet.Height));
        var options = Metrics(t.Out).GetProperty("training").GetProperty("options");
        Assert.Equal(2, options.GetProperty("Epochs").GetInt32());
        Assert.Equal("Stretch", options.GetProperty("Resize").GetString());
        Assert.Equal("Cosine", options.GetProperty("LearningRateSchedule").GetString());
        Assert.Equal(0.01, options.GetProperty("LearningRate").GetDouble());
        // The fixture's pictures are brown: kept in colour.
        Assert.Equal(3, Metrics(t.Out).GetProperty("training").GetProperty("channels").GetInt32());
    }

    [Fact]
    public void A_labels_csv_may_name_files_in_subfolders_in_either_unicode_normalisation_and_unlisted_images_are_named()
    {
        var folder = t.Scratch("listed");
        CopyFolder(t.Folder, folder);
        var listed = t.Positives.Take(6).Select(p => (p, true)).Concat(t.Negatives.Take(6).Select(n => (n, false))).ToArray();
        // Written composed (NFC) while the files of kind 3 are stored decomposed (NFD).
        File.WriteAllLines(Path.Combine(folder, "labels.csv"),
            new[] { "ImagePath,Label" }.Concat(listed.Select(r => $"{r.Item1.Normalize(System.Text.NormalizationForm.FormC)},{(r.Item2 ? "true" : "false")}")));
        var output = t.Scratch("out");
        var run = CliRun.Of(Trained.Args(folder, output)).Succeeded();
        Assert.Contains("Training on 10 images", run.Out);
        var note = run.Error.Split('\n').Single(l => l.StartsWith("mlnetcnn: note: ignored", StringComparison.Ordinal));
        Assert.Contains($"ignored {8 + MessyPhotoFolder.NotImages.Length} files", note);
        Assert.Contains("not listed in labels.csv", note);
    }

    [Fact]
    public void Config_file_settings_are_taken_by_name_and_flags_override_them()
    {
        var config = Path.Combine(t.Scratch("config"));
        Directory.CreateDirectory(config);
        var file = Path.Combine(config, "train.json");
        File.WriteAllText(file, """{ "epochs": 1, "LearningRateSchedule": "Step", "Resize": "Pad", "Background": "#336699", "RandomHorizontalFlip": true }""");
        var output = t.Scratch("out");
        var run = CliRun.Of(Trained.Args(t.Folder, output, "--config", file, "--epochs", "3")).Succeeded();
        var options = Metrics(output).GetProperty("training").GetProperty("options");
        Assert.Equal(3, options.GetProperty("Epochs").GetInt32());
        Assert.Equal("Step", options.GetProperty("LearningRateSchedule").GetString());
        Assert.Equal("Pad", options.GetProperty("Resize").GetString());
        Assert.True(options.GetProperty("RandomHorizontalFlip").GetBoolean());
        Assert.Equal(3, Metrics(output).GetProperty("history").GetArrayLength());
        Assert.Contains("Pad, background #336699", run.Out);

        File.WriteAllText(file, """{ "Epoch": 1 }""");
        CliRun.Of(Trained.Args(t.Folder, t.Scratch("out"), "--config", file)).FailedWith("has the key 'Epoch', which is not a setting. Settings: Train, Valid");
        File.WriteAllText(file, """{ "Epochs": "many" }""");
        CliRun.Of(Trained.Args(t.Folder, t.Scratch("out"), "--config", file)).FailedWith("the value of Epochs");
    }

    [Fact]
    public void Images_are_cached_when_they_fit_and_streamed_on_request_with_the_same_model()
    {
        t.Run.Succeeded();
        Assert.True(Metrics(t.Out).GetProperty("training").GetProperty("imagesCached").GetBoolean());
        var streamed = t.Scratch("out");
        CliRun.Of(Trained.Args(t.Folder, streamed, "--cache-images", "false")).Succeeded();
        Assert.False(Metrics(streamed).GetProperty("training").GetProperty("imagesCached").GetBoolean());
        var losses = (string folder) => Metrics(folder).GetProperty("history").EnumerateArray().Select(e => e.GetProperty("trainingLoss").GetDouble()).ToArray();
        Assert.Equal(losses(t.Out), losses(streamed));
        var cached = t.Scratch("out");
        CliRun.Of(Trained.Args(t.Folder, cached, "--cache-images")).Succeeded();
        Assert.True(Metrics(cached).GetProperty("training").GetProperty("imagesCached").GetBoolean());
    }

    [Fact]
    public void Lr_auto_trains_at_the_range_tests_suggestion_and_says_so()
    {
        var output = t.Scratch("out");
        var run = CliRun.Of(Trained.Args(t.Folder, output, "--lr", "auto")).Succeeded();
        Assert.Contains("learning rate auto (range test first)", run.Out);
        var training = Metrics(output).GetProperty("training");
        var suggested = training.GetProperty("learningRateSearch").GetProperty("suggested").GetDouble();
        _ = typeof(Microsoft.ML.Data.ImageLoadingTransformer).Assembly;
        var model = new Microsoft.ML.MLContext().Model.Load(Path.Combine(output, "model.zip"), out _);
        var search = model.FindCnn().Report.LearningRateSearch!;
        (model as IDisposable)?.Dispose();
        Assert.Equal(search.Curve.Count, training.GetProperty("learningRateSearch").GetProperty("batches").GetInt32());
        Assert.Equal(search.SuggestedLearningRate, suggested);
        Assert.Equal(suggested, training.GetProperty("learningRate").GetDouble());
        Assert.Equal(suggested, Metrics(output).GetProperty("history")[0].GetProperty("learningRate").GetDouble());
        CliRun.Of(Trained.Args(t.Folder, t.Scratch("out"), "--lr", "fast")).FailedWith("--lr 'fast' is neither a number nor 'auto'");
    }

    [Theory]
    [InlineData("--epochs", "0", "--epochs 0: Epochs must be at least 1.")]
    [InlineData("--weight-decay", "-1", "--weight-decay -1: WeightDecay must be 0 or a positive finite number.")]
    [InlineData("--valid-fraction", "1.5", "--valid-fraction 1.5: ValidationFraction must be in [0, 1).")]
    [InlineData("--alarms-as-errors", "CNN999", "--alarms-as-errors CNN999: Unknown alarm code(s) CNN999")]
    [InlineData("--background", "mauve-ish", "--background 'mauve-ish' is not a colour")]
    public void A_bad_setting_is_refused_under_its_flag_by_the_librarys_own_check(string flag, string value, string message) =>
        CliRun.Of(Trained.Args(t.Folder, t.Scratch("out"), flag, value)).FailedWith(message);

    [Fact]
    public void Help_lists_every_setting_in_groups()
    {
        var help = CliRun.Of("train", "--help").Succeeded().Out;
        foreach (var flag in new[] { "--flip", "--shift", "--early-stopping", "--threshold-selection", "--balance-classes", "--schedule", "--weight-decay", "--resize", "--color", "--background", "--config", "--valid-fraction" })
            Assert.Contains(flag, help);
        foreach (var group in new[] { "[data]", "[images]", "[network]", "[optimiser]", "[augmentation]", "[validation]", "[run]" })
            Assert.Contains(group, help);
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(dir.Replace(from, to));
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(file, file.Replace(from, to));
    }
}
