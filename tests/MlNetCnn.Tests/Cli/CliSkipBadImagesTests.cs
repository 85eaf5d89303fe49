using System.Text.Json;
using System.Text.RegularExpressions;

namespace MlNetCnn.Tests.Cli;

/// <summary>
/// <c>--skip-bad-images</c> on train, evaluate and predict: each unreadable image is left out with the reason its error
/// would have given, one warning line counts and names them, metrics.json (or predict's output) lists them, and what is
/// trained, measured or scored covers exactly the readable images. Without the option a bad image still stops the
/// command (<see cref="CliBadImageTests"/>).
/// </summary>
[Collection(TinyModelCollection.Name)]
public sealed class CliSkipBadImagesTests
{
    private const string Flag = "--skip-bad-images";
    private const string WarningStart = "mlnetcnn: warning: skipped ";
    private const int PerClass = 8;

    // In a TinyImageFolder of PerClass images a class: one image for each kind of damage, and what its reason says.
    private static readonly (string Relative, string Damage, string Says)[] Damaged =
    [
        ("pos/002.png", "zero-byte", "is empty (0 bytes)"),
        ("pos/005.png", "truncated", "is truncated"),
        ("neg/004.png", "text", "is not a valid PNG image"),
    ];

    private readonly TinyModelFixture fixture;

    public CliSkipBadImagesTests(TinyModelFixture fixture) => this.fixture = fixture;

    [Fact]
    public void Train_skips_unreadable_images_when_asked_and_trains_on_exactly_the_readable_ones()
    {
        var data = DamagedFolder(fixture.Scratch("bad"));
        var refused = CliRun.Of(TinyModelFixture.TrainArgs(data, fixture.Valid, fixture.Scratch("refused"))).FailedWith("The image '");

        var output = fixture.Scratch("out");
        var run = CliRun.Of(TinyModelFixture.TrainArgs(data, fixture.Valid, output, Flag)).Succeeded();

        var warning = SkipWarning(run);
        Assert.StartsWith($"{WarningStart}{Damaged.Length} of {2 * PerClass} training images that cannot be read: ", warning);
        Assert.Contains($"; {Damaged.Length} unreadable skipped)", run.Out);
        var skipped = Skipped(output, "train");
        Assert.Equal(Damaged.Select(d => Path.Combine(data, d.Relative)), skipped.Select(s => s.Path));
        foreach (var (relative, _, says) in Damaged)
        {
            var reason = skipped.Single(s => s.Path == Path.Combine(data, relative)).Reason;
            Assert.StartsWith($"The image '{Path.Combine(data, relative)}' ", reason);
            Assert.Contains(says, reason);
            Assert.Contains(reason, warning);
        }
        // A reason is word for word the error that image stops train with when the option is not given.
        Assert.Contains(refused.Error.Trim()["mlnetcnn: error: ".Length..], skipped.Select(s => s.Reason));
        Assert.Empty(Skipped(output, "valid"));

        // Trained on exactly the readable images: their count, and the very losses of a run on a folder of them alone.
        var alone = fixture.Scratch("alone");
        CliRun.Of(TinyModelFixture.TrainArgs(ReadableOnly(fixture.Scratch("good")), fixture.Valid, alone)).Succeeded();
        Assert.Equal(2 * PerClass - Damaged.Length, TrainCount(output));
        Assert.Equal(TrainCount(alone), TrainCount(output));
        Assert.Equal(TrainingLosses(alone), TrainingLosses(output));
    }

    [Fact]
    public void Train_lists_each_image_the_library_left_out_once_in_the_warning_metrics_json_and_the_model()
    {
        var data = TinyImageFolder.Write(fixture.Scratch("bad"), PerClass, seed: 3);
        var badTrain = OddPng.Damage(Path.Combine(data, "neg", "003.png"), "text");
        var valid = TinyImageFolder.Write(fixture.Scratch("valid"), TinyModelFixture.ValidPerClass, seed: 2);
        var badValid = OddPng.Damage(Path.Combine(valid, "pos", "001.png"), "zero-byte");
        var output = fixture.Scratch("out");

        var run = CliRun.Of(TinyModelFixture.TrainArgs(data, valid, output, Flag)).Succeeded();

        // Each file once on standard error: in its set's warning line, and in no alarm besides.
        var warnings = run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith(WarningStart, StringComparison.Ordinal)).ToArray();
        Assert.Equal(2, warnings.Length);
        Assert.StartsWith($"{WarningStart}1 of {2 * PerClass} training images that cannot be read: The image '{badTrain}' ", warnings[0]);
        Assert.StartsWith($"{WarningStart}1 of {2 * TinyModelFixture.ValidPerClass} validation images that cannot be read: The image '{badValid}' ", warnings[1]);
        Assert.Equal(1, Occurrences(run.Error, badTrain));
        Assert.Equal(1, Occurrences(run.Error, badValid));
        Assert.Equal([badTrain], Skipped(output, "train").Select(s => s.Path));
        Assert.Equal([badValid], Skipped(output, "valid").Select(s => s.Path));

        // The model keeps the library's record of them, by position in the list of images it was given.
        var ml = new Microsoft.ML.MLContext(1);
        var model = ml.Model.Load(Path.Combine(output, "model.zip"), out _);
        var cnn = model.FindCnn();
        var rows = cnn.Report.UnreadableRows;
        Assert.Equal([RowSet.Training, RowSet.Validation], rows.Select(r => r.Set));
        Assert.Equal([$"ImagePath = '{badTrain}'", $"ImagePath = '{badValid}'"], rows.Select(r => r.Row));
        Assert.Equal(Skipped(output, "train").Single().Reason, rows[0].Reason);
        (model as IDisposable)?.Dispose();
    }

    [Fact]
    public void Train_without_the_option_stops_at_an_unreadable_validation_image_before_training()
    {
        var valid = TinyImageFolder.Write(fixture.Scratch("valid"), TinyModelFixture.ValidPerClass, seed: 2);
        var broken = OddPng.Damage(Path.Combine(valid, "neg", "002.png"), "truncated");
        var output = fixture.Scratch("out");

        var run = CliRun.Of(TinyModelFixture.TrainArgs(fixture.Train, valid, output, "--cache-images", "false")).FailedWith($"The image '{broken}' ");

        Assert.DoesNotContain("Epoch 1/", run.Out);
        Assert.False(Directory.Exists(output) && Directory.EnumerateFileSystemEntries(output).Any());
    }

    private static int Occurrences(string text, string what) =>
        (text.Length - text.Replace(what, "", StringComparison.Ordinal).Length) / what.Length;

    [Fact]
    public void Train_fails_naming_the_class_when_every_image_of_it_is_skipped()
    {
        var data = TinyImageFolder.Write(fixture.Scratch("bad"), perClass: 3, seed: 3);
        File.Delete(Path.Combine(data, "labels.csv"));
        foreach (var (file, damage) in LabelledFolderImages(Path.Combine(data, "neg")).Zip(OddPng.Damages))
            OddPng.Damage(file, damage);
        var output = fixture.Scratch("out");

        CliRun.Of(TinyModelFixture.TrainArgs(data, fixture.Valid, output, "--positive", "pos", Flag))
            .FailedWith($"Every image of class 'neg' in the training folder '{data}' was skipped (3 of 3 cannot be read)");

        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void Evaluate_skips_unreadable_images_when_asked_and_measures_the_readable_ones_alone()
    {
        fixture.Run.Succeeded();
        var data = CopyClasses(fixture.Valid, fixture.Scratch("bad"));
        var good = CopyClasses(fixture.Valid, fixture.Scratch("good"));
        string[] bad =
        [
            OddPng.Damage(Path.Combine(data, "neg", "001.png"), "zero-byte"),
            OddPng.Damage(Path.Combine(data, "pos", "003.png"), "truncated"),
            // Beside the good images, named like one.
            OddPng.Damage(Path.Combine(data, "pos", "notes.png"), "text"),
        ];
        File.Delete(Path.Combine(good, "neg", "001.png"));
        File.Delete(Path.Combine(good, "pos", "003.png"));
        CliRun.Of(EvaluateArgs(data, fixture.Scratch("refused"), "--positive", "pos")).FailedWith("The image '");

        var output = fixture.Scratch("out");
        var run = CliRun.Of(EvaluateArgs(data, output, "--positive", "pos", Flag)).Succeeded();

        var warning = SkipWarning(run);
        Assert.StartsWith($"{WarningStart}3 of {2 * TinyModelFixture.ValidPerClass + 1} data images that cannot be read: ", warning);
        var skipped = Skipped(output, "data");
        Assert.Equal(bad.Order(StringComparer.Ordinal), skipped.Select(s => s.Path).Order(StringComparer.Ordinal));
        foreach (var (path, reason) in skipped)
        {
            Assert.StartsWith($"The image '{path}' ", reason);
            Assert.Contains(reason, warning);
        }

        var alone = fixture.Scratch("alone");
        CliRun.Of(EvaluateArgs(good, alone, "--positive", "pos")).Succeeded();
        Assert.Equal(2 * TinyModelFixture.ValidPerClass - 2, Count(output));
        Assert.Equal(Measured(alone), Measured(output));
    }

    [Fact]
    public void Evaluate_skips_a_labels_csv_row_naming_a_missing_file_and_the_warning_names_the_first_three()
    {
        fixture.Run.Succeeded();
        var data = DamagedFolder(fixture.Scratch("bad"));
        var missing = Path.Combine(data, "neg", "006.png");
        File.Delete(missing);
        var output = fixture.Scratch("out");

        var run = CliRun.Of(EvaluateArgs(data, output, Flag)).Succeeded();

        var skipped = Skipped(output, "data");
        Assert.Equal([.. Damaged.Select(d => Path.Combine(data, d.Relative)), missing], skipped.Select(s => s.Path));
        Assert.Equal($"Line 16 of '{Path.Combine(data, "labels.csv")}' names 'neg/006.png', which does not exist in '{data}'.", skipped[^1].Reason);
        var warning = SkipWarning(run);
        Assert.StartsWith($"{WarningStart}4 of {2 * PerClass} data images that cannot be read: {skipped[0].Reason} {skipped[1].Reason} {skipped[2].Reason}", warning);
        Assert.EndsWith("… and 1 more (all in metrics.json).", warning);
        Assert.Equal(2 * PerClass - 4, Count(output));
    }

    [Fact]
    public void Evaluate_fails_when_every_image_is_skipped()
    {
        fixture.Run.Succeeded();
        var data = TinyImageFolder.Write(fixture.Scratch("bad"), perClass: 1, seed: 3);
        OddPng.Damage(Path.Combine(data, "pos", "000.png"), "text");
        OddPng.Damage(Path.Combine(data, "neg", "000.png"), "zero-byte");

        CliRun.Of(EvaluateArgs(data, fixture.Scratch("out"), Flag))
            .FailedWith($"Every image of the data folder '{data}' was skipped: none of its 2 images can be read.");
    }

    [Fact]
    public void Predict_json_gives_unreadable_images_an_error_and_the_others_the_scores_they_get_alone()
    {
        fixture.Run.Succeeded();
        var (folder, bad) = PredictFolder();
        CliRun.Of("predict", "--model", fixture.Model, "--json", folder).FailedWith("The image '");

        var run = CliRun.Of("predict", "--model", fixture.Model, "--json", Flag, folder).Succeeded();

        var all = LabelledFolderImages(folder);
        Assert.StartsWith($"{WarningStart}{bad.Length} of {all.Length} images that cannot be read: ", SkipWarning(run));
        using var json = JsonDocument.Parse(run.Out);
        var entries = json.RootElement.EnumerateArray().ToArray();
        Assert.Equal(all, entries.Select(e => e.GetProperty("path").GetString()));
        foreach (var entry in entries.Where(e => bad.Contains(e.GetProperty("path").GetString())))
        {
            Assert.Equal(["path", "error"], entry.EnumerateObject().Select(p => p.Name));
            Assert.StartsWith($"The image '{entry.GetProperty("path").GetString()}' ", entry.GetProperty("error").GetString());
        }

        var good = all.Except(bad).ToArray();
        var alone = CliRun.Of(["predict", "--model", fixture.Model, "--json", .. good]).Succeeded();
        using var aloneJson = JsonDocument.Parse(alone.Out);
        Assert.Equal(
            aloneJson.RootElement.EnumerateArray().Select(Fields),
            entries.Where(e => !bad.Contains(e.GetProperty("path").GetString())).Select(Fields));
    }

    [Fact]
    public void Predict_prints_a_skipped_line_with_the_reason_for_each_unreadable_image()
    {
        fixture.Run.Succeeded();
        var (folder, bad) = PredictFolder();

        var run = CliRun.Of("predict", "--model", fixture.Model, Flag, folder).Succeeded();

        var lines = run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')).ToArray();
        Assert.Equal(LabelledFolderImages(folder), lines.Select(f => f[0]));
        foreach (var fields in lines)
        {
            Assert.Equal(3, fields.Length);
            if (bad.Contains(fields[0]))
            {
                Assert.Equal("skipped", fields[1]);
                Assert.StartsWith($"The image '{fields[0]}' ", fields[2]);
            }
            else
                Assert.Contains(fields[1], new[] { "true", "false" });
        }
    }

    [Fact]
    public void Predict_fails_when_every_image_is_skipped()
    {
        fixture.Run.Succeeded();
        var folder = fixture.Scratch("bad");
        Directory.CreateDirectory(folder);
        var first = OddPng.Damage(Path.Combine(folder, "a.png"), "text");
        OddPng.Damage(Path.Combine(folder, "b.png"), "zero-byte");

        CliRun.Of("predict", "--model", fixture.Model, Flag, folder)
            .FailedWith($"Every image was skipped: none of the 2 given can be read, so there is nothing to score. The first: The image '{first}'");
    }

    [Fact]
    public void Without_the_option_metrics_json_has_no_skipped_images()
    {
        fixture.Run.Succeeded();
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(fixture.Out, "metrics.json")));
        Assert.False(json.RootElement.TryGetProperty("skippedImages", out _));
    }

    [Theory]
    [InlineData("train")]
    [InlineData("evaluate")]
    [InlineData("predict")]
    public void Help_of_each_command_says_what_skip_bad_images_does(string command)
    {
        var run = CliRun.Of(command, "--help").Succeeded();
        var help = Regex.Replace(run.Out, @"\s+", " ");
        // train groups its options: the description there starts with the group's name.
        Assert.Contains("Leave out images that cannot be read (missing, empty, truncated, not an image) instead of stopping", help);
        Assert.Matches(@"--skip-bad-images (\[data\] )?Leave out images", help);
    }

    private string[] EvaluateArgs(string data, string output, params string[] more) =>
        ["evaluate", "--model", fixture.Model, "--data", data, "--out", output, .. more];

    /// <summary>A TinyImageFolder of <see cref="PerClass"/> images a class with the <see cref="Damaged"/> images damaged.</summary>
    private static string DamagedFolder(string folder)
    {
        TinyImageFolder.Write(folder, PerClass, seed: 3);
        foreach (var (relative, damage, _) in Damaged)
            OddPng.Damage(Path.Combine(folder, relative), damage);
        return folder;
    }

    /// <summary>The same folder as <see cref="DamagedFolder"/> gives, with the damaged images and their labels.csv rows left out.</summary>
    private static string ReadableOnly(string folder)
    {
        TinyImageFolder.Write(folder, PerClass, seed: 3);
        var csv = Path.Combine(folder, "labels.csv");
        var left = Damaged.Select(d => d.Relative).ToHashSet();
        File.WriteAllLines(csv, File.ReadAllLines(csv).Where(line => !left.Contains(line.Split(',')[0])));
        foreach (var relative in left)
            File.Delete(Path.Combine(folder, relative));
        return folder;
    }

    /// <summary>Copies the pos/ and neg/ subfolders (no labels.csv), so that the copy reads as two class subfolders.</summary>
    private static string CopyClasses(string from, string to)
    {
        foreach (var cls in new[] { "pos", "neg" })
        {
            Directory.CreateDirectory(Path.Combine(to, cls));
            foreach (var file in Directory.GetFiles(Path.Combine(from, cls)))
                File.Copy(file, Path.Combine(to, cls, Path.GetFileName(file)));
        }
        return to;
    }

    /// <summary>A flat folder of the validation images plus a text file named like a PNG; returns it and its three unreadable files.</summary>
    private (string Folder, string[] Bad) PredictFolder()
    {
        var folder = fixture.Scratch("predict");
        Directory.CreateDirectory(folder);
        foreach (var cls in new[] { "pos", "neg" })
        {
            foreach (var file in Directory.GetFiles(Path.Combine(fixture.Valid, cls)))
                File.Copy(file, Path.Combine(folder, $"{cls}-{Path.GetFileName(file)}"));
        }
        string[] bad =
        [
            OddPng.Damage(Path.Combine(folder, "neg-002.png"), "zero-byte"),
            OddPng.Damage(Path.Combine(folder, "pos-001.png"), "truncated"),
            OddPng.Damage(Path.Combine(folder, "notes.png"), "text"),
        ];
        return (folder, bad);
    }

    /// <summary>The .png files of <paramref name="folder"/> in the order the CLI lists a folder: ordinal by name.</summary>
    private static string[] LabelledFolderImages(string folder) =>
        Directory.GetFiles(folder, "*.png").Order(StringComparer.Ordinal).ToArray();

    /// <summary>The one <c>skipped N of M</c> warning line of <paramref name="run"/> (the library's alarms may add others).</summary>
    private static string SkipWarning(CliRun run)
    {
        var lines = run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return Assert.Single(lines, l => l.StartsWith(WarningStart, StringComparison.Ordinal));
    }

    private static (string Path, string Reason)[] Skipped(string output, string role)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "metrics.json")));
        return json.RootElement.GetProperty("skippedImages").GetProperty(role).EnumerateArray()
            .Select(e => (e.GetProperty("path").GetString()!, e.GetProperty("reason").GetString()!)).ToArray();
    }

    private static int TrainCount(string output)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "metrics.json")));
        return json.RootElement.GetProperty("training").GetProperty("trainCount").GetInt32();
    }

    private static double[] TrainingLosses(string output)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "metrics.json")));
        return json.RootElement.GetProperty("history").EnumerateArray().Select(e => e.GetProperty("trainingLoss").GetDouble()).ToArray();
    }

    private static int Count(string output)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "metrics.json")));
        return json.RootElement.GetProperty("count").GetInt32();
    }

    /// <summary>What evaluate measured, as text: every metric and the confusion matrix, without the folder's path.</summary>
    private static string Measured(string output)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "metrics.json")));
        return string.Join("\n", json.RootElement.EnumerateObject()
            .Where(p => p.Name is not ("data" or "skippedImages"))
            .Select(p => $"{p.Name}={p.Value.GetRawText()}"));
    }

    /// <summary>An entry of predict's JSON as its field names and values, in order.</summary>
    private static string Fields(JsonElement entry) =>
        string.Join(",", entry.EnumerateObject().Select(p => $"{p.Name}={p.Value.GetRawText()}"));
}
