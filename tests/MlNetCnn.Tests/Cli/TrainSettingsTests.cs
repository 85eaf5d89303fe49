using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.ML;
using MlNetCnn.Cli.Commands;

namespace MlNetCnn.Tests.Cli;

/// <summary>
/// Each option written once: every library setting is a flag of train, a config key and a line of its help, derived
/// from CnnOptions and CnnImageOptions; and a bad value is refused by the library's own check, under the flag.
/// </summary>
public sealed class TrainSettingsTests
{
    // Properties that are no command-line setting, by type: data, progress, callbacks, cancellation, a network object.
    private static readonly Type[] NotSettings =
        [typeof(IDataView), typeof(IProgress<MlNetCnn.Diagnostics.TrainingProgress>), typeof(IList<ITrainingCallback>), typeof(CancellationToken), typeof(CustomNetwork)];

    private static readonly string Help = Regex.Replace(CliRun.Of("train", "--help").Succeeded().Out, @"\s+", " ");

    [Theory]
    [InlineData(typeof(CnnOptions))]
    [InlineData(typeof(CnnImageOptions))]
    public void Every_public_settable_option_is_a_flag_a_config_key_and_a_line_of_help(Type type)
    {
        foreach (var property in type.GetProperties().Where(p => p.SetMethod is { IsPublic: true }))
        {
            if (NotSettings.Contains(property.PropertyType) || TrainTable.Flags.Bound.Contains(property.Name))
                continue;
            // Its own flag, one that replaces it (--image-size for Width and Height), or one per member of a record of settings (Network).
            var settings = TrainSettings.Catalog.Where(s => s.Answers.Contains(property.Name) || s.Parent == property).ToList();
            Assert.True(settings.Count > 0, $"{type.Name}.{property.Name} ({property.PropertyType.Name}) is no flag of train.");
            foreach (var setting in settings)
            {
                Assert.Matches($@"{Regex.Escape(setting.Flag)}( <[^>]+>)? \[{setting.Group}\] ", Help);
                Assert.Same(setting, TrainSettings.Catalog.Find(setting.Key.ToUpperInvariant()));
            }
        }
    }

    [Fact]
    public void Help_says_what_each_flag_does_from_the_librarys_summary_and_the_command_lines_default()
    {
        Assert.All(TrainSettings.Catalog, s => Assert.False(string.IsNullOrWhiteSpace(s.Help), $"{s.Flag} has no help: is {s.Property.DeclaringType!.Name}'s XML documentation beside its assembly?"));
        // CnnOptions.BatchSize: "… Default 32." The CLI's default is 64.
        Assert.Contains("--batch-size <batch-size> [optimiser] Images per training step and per scoring forward pass. At least 2 (batch norm needs two rows). Default 64.", Help);
        Assert.DoesNotContain("Default 32.", Help);
        // A reference to another setting reads as its flag; the library's null as "not given".
        Assert.Contains("Ignored with --auto-learning-rate.", Help);
        Assert.Contains("A folder where each epoch's training state is saved; not given: none.", Help);
        Assert.Contains($"Options are grouped: {string.Join(" ", TrainSettings.Catalog.Groups.Select(g => $"[{g}]"))}.", Help);
    }

    [Fact]
    public void The_settings_metrics_json_records_read_back_as_a_config_give_the_same_settings()
    {
        using var temp = new CliTempFolder();
        var file = Path.Combine(temp.Path, "train.json");
        var settings = new TrainSettings();
        settings.Set(TrainSettings.Catalog.Find("Epochs")!, 3);
        settings.Set(TrainSettings.Catalog.Find("ConvolutionChannels")!, new[] { 8, 16 });
        settings.Set(TrainSettings.Catalog.Find("AlarmsAsErrors")!, new[] { "CNN002" });
        settings.Set(TrainSettings.Catalog.Find("Background")!, "#336699");
        var written = settings.ToJson();
        File.WriteAllText(file, written.ToJsonString());

        var read = TrainSettings.FromConfig(file);

        Assert.True(JsonNode.DeepEquals(written, read.ToJson()), read.ToJson().ToJsonString());
        var options = read.ToCnnOptions();
        Assert.Equal(3, options.Epochs);
        Assert.Equal(new[] { 8, 16 }, options.Network.ConvolutionChannels);
        Assert.Contains("cnn002", options.AlarmsAsErrors);
        Assert.Equal(System.Drawing.Color.FromArgb(0x33, 0x66, 0x99).ToArgb(), read.ImageOptions().Background.ToArgb());
        // Not given: the CLI's defaults over the library's.
        Assert.Equal((TrainTable.DefaultSchedule, TrainTable.DefaultSeed, 36), (options.LearningRateSchedule, options.Seed, read.ImageOptions().Width));
    }

    [Fact]
    public void A_config_null_is_taken_only_where_the_setting_takes_null()
    {
        using var temp = new CliTempFolder();
        var file = Path.Combine(temp.Path, "train.json");
        File.WriteAllText(file, """{ "CacheImages": null, "Threads": null }""");
        Assert.Null(TrainSettings.FromConfig(file).Command().CacheImages);
        File.WriteAllText(file, """{ "Epochs": null }""");
        CliRun.Of("train", "--config", file).FailedWith("the value of Epochs is null, which that setting does not take.");
    }

    [Theory]
    [InlineData("--epochs 0", "--epochs 0: Epochs must be at least 1.")]
    [InlineData("--batch-size 1", "--batch-size 1: BatchSize must be at least 2")]
    [InlineData("--lr 0", "--lr 0: LearningRate must be a positive finite number.")]
    [InlineData("--image-size 5000", "--image-size 5000: Width must be 1 to 4096 pixels.")]
    [InlineData("--conv-channels 0,8", "--conv-channels 0,8: Convolution channels must be one or more positive counts")]
    [InlineData("--kernel-size 0", "--kernel-size 0: Kernel size must be positive")]
    [InlineData("--background transparent", "--background transparent: Background must be opaque")]
    [InlineData("--valid-fraction 1", "--valid-fraction 1: ValidationFraction must be in [0, 1).")]
    [InlineData("--pos-weight 2 --balance-classes", "--balance-classes: Give PositiveClassWeight or BalanceClasses, not both.")]
    [InlineData("--resume", "--resume: ResumeFromCheckpoint needs a CheckpointFolder.")]
    [InlineData("--scoring-threads 0", "--scoring-threads 0: ScoringThreads must be in [1, 1024] when given.")]
    public void A_bad_value_is_refused_by_the_librarys_check_under_the_flag_before_any_image_is_read(string args, string message) =>
        CliRun.Of(["train", .. args.Split(' ')]).FailedWith(message);

    [Fact]
    public void Valid_fraction_0_is_the_librarys_no_validation_which_train_cannot_do_and_says_so()
    {
        using var temp = new CliTempFolder();
        var train = TinyImageFolder.Write(temp["train"], perClass: 4, seed: 1);
        CliRun.Of("train", "--train", train, "--valid-fraction", "0", "--out", temp["out"])
            .FailedWith("--valid-fraction 0 holds out no images, and train measures the model on held-out ones: give a share above 0, or --valid DIR.");
    }

    [Fact]
    public void A_list_that_does_not_parse_is_a_usage_error()
    {
        var run = CliRun.Of("train", "--conv-channels", "a,b");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--conv-channels 'a,b' must be whole numbers separated by commas", run.Error);
    }
}
