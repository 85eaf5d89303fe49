namespace MlNetCnn.Tests.Cli;

/// <summary>Each kind of bad input: one clear line on standard error, a non-zero exit, and nothing already written damaged.</summary>
[Collection(TinyModelCollection.Name)]
public sealed class CliBadInputTests
{
    private readonly TinyModelFixture fixture;

    public CliBadInputTests(TinyModelFixture fixture) => this.fixture = fixture;

    [Fact]
    public void Train_with_a_missing_training_folder_fails_naming_it()
    {
        var missing = fixture.Scratch("missing");
        CliRun.Of("train", "--train", missing, "--valid", fixture.Valid, "--out", fixture.Scratch("out"))
            .FailedWith($"The training folder '{missing}' does not exist.");
    }

    [Fact]
    public void Train_with_a_folder_without_images_fails()
    {
        var empty = fixture.Scratch("empty");
        Directory.CreateDirectory(empty);
        CliRun.Of("train", "--train", empty, "--valid", fixture.Valid, "--out", fixture.Scratch("out"))
            .FailedWith($"The training folder '{empty}' has no images");
    }

    [Fact]
    public void Train_with_an_empty_class_folder_fails_naming_it()
    {
        var data = fixture.Scratch("classes");
        var cats = Path.Combine(data, "cat");
        Directory.CreateDirectory(cats);
        TinyImageFolder.Write(Path.Combine(data, "dog"), perClass: 2, seed: 4);
        File.Delete(Path.Combine(data, "dog", "labels.csv"));
        foreach (var file in Directory.GetFiles(Path.Combine(data, "dog"), "*.png", SearchOption.AllDirectories))
            File.Move(file, Path.Combine(data, "dog", Guid.NewGuid().ToString("N") + ".png"));
        CliRun.Of("train", "--train", data, "--valid", fixture.Valid, "--positive", "dog", "--out", fixture.Scratch("out"))
            .FailedWith($"The class folder '{cats}' has no images");
    }

    [Fact]
    public void Evaluate_with_an_unknown_positive_class_fails_listing_the_classes()
    {
        var data = fixture.Scratch("classes");
        foreach (var cls in new[] { "boot", "sneaker" })
        {
            Directory.CreateDirectory(Path.Combine(data, cls));
            File.Copy(Path.Combine(fixture.Valid, "pos", "000.png"), Path.Combine(data, cls, "a.png"));
        }
        CliRun.Of("evaluate", "--model", fixture.Model, "--data", data, "--positive", "sandal", "--out", fixture.Scratch("out"))
            .FailedWith("--positive 'sandal' is not a class folder of");
    }

    [Theory]
    [InlineData("not a zip file at all")]
    [InlineData("")]
    public void Predict_and_evaluate_with_a_file_that_is_not_a_model_fail(string content)
    {
        var fake = Path.Combine(fixture.Scratch("fake"), "model.zip");
        Directory.CreateDirectory(Path.GetDirectoryName(fake)!);
        File.WriteAllText(fake, content);
        CliRun.Of("predict", "--model", fake, Path.Combine(fixture.Valid, "pos")).FailedWith($"'{fake}' is not an ML.NET model");
        CliRun.Of("evaluate", "--model", fake, "--data", fixture.Valid, "--out", fixture.Scratch("out")).FailedWith($"'{fake}' is not an ML.NET model");
    }

    [Fact]
    public void Predict_with_a_missing_image_fails_naming_it()
    {
        fixture.Run.Succeeded();
        var missing = Path.Combine(fixture.Valid, "nope.png");
        CliRun.Of("predict", "--model", fixture.Model, missing).FailedWith($"'{missing}' is neither an image file nor a folder.");
    }

    [Fact]
    public void Verbose_adds_the_stack_trace_after_the_error_line()
    {
        var missing = fixture.Scratch("missing");
        var run = CliRun.Of("train", "--train", missing, "--valid", fixture.Valid, "--verbose");
        Assert.NotEqual(0, run.ExitCode);
        var lines = run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("mlnetcnn: error: ", lines[0]);
        Assert.Contains(lines, l => l.TrimStart().StartsWith("at MlNetCnn.Cli.", StringComparison.Ordinal));
    }

    [Fact]
    public void A_failed_train_leaves_the_existing_output_untouched()
    {
        var output = fixture.Scratch("out");
        Directory.CreateDirectory(output);
        var model = Path.Combine(output, "model.zip");
        File.WriteAllText(model, "an earlier model");
        var data = TinyImageFolder.Write(fixture.Scratch("corrupt"), perClass: 4, seed: 5);
        File.WriteAllText(Path.Combine(data, "neg", "002.png"), "not a png");

        CliRun.Of("train", "--train", fixture.Train, "--valid", data, "--out", output).FailedWith("cannot be read");

        Assert.Equal("an earlier model", File.ReadAllText(model));
        Assert.Equal([model], Directory.GetFiles(output));
    }

    [Fact]
    public void An_unparsable_command_line_exits_2()
    {
        var run = CliRun.Of("train", "--epochs", "many");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("many", run.Error);
    }
}
