using System.CommandLine;
using System.ComponentModel;
using MlNetCnn.Cli.Settings;

namespace MlNetCnn.Tests.Cli;

/// <summary>
/// The derivation itself, on options the command line has never seen: the kind another engineer adds to CnnOptions
/// (a time budget, fine-tuning settings, a backbone). Each becomes a flag, a config key and a line of help with no
/// table entry.
/// </summary>
public sealed class SettingCatalogTests
{
    public enum Backbone { None, ResNet18 }

    public sealed record FineTuning(int UnfreezeAtEpoch, double HeadLearningRate);

    public sealed class FutureOptions
    {
        [Category("run")]
        public TimeSpan? TrainingTimeBudget { get; set; }

        [Category("network")]
        public int FreezeEpochs { get; set; } = 3;

        [Category("network")]
        public Backbone Backbone { get; set; }

        [Category("optimiser")]
        public FineTuning FineTuning { get; set; } = new(2, 0.01);

        public IReadOnlyList<string> FrozenLayers { get; set; } = [];

        public bool Mirror { get; set; } = true;

        // Not settings: a callback (no command-line form) and a property nobody may set.
        public Action? Hook { get; set; }

        public int Computed { get; private set; }
    }

    private static readonly SettingCatalog Catalog = SettingCatalog.Derive([typeof(FutureOptions)], FlagTable.None);

    [Fact]
    public void Every_public_settable_property_with_a_command_line_form_is_a_flag_named_in_kebab_case()
    {
        Assert.Equal(
            ["--training-time-budget", "--freeze-epochs", "--backbone", "--unfreeze-at-epoch", "--head-learning-rate", "--frozen-layers", "--mirror"],
            Catalog.Select(s => s.Flag));
        // Groups in the order first seen (the table gives none), each together; without [Category], "other".
        Assert.Equal(["run", "network", "optimiser", SettingCatalog.OtherGroup], Catalog.Groups);
        Assert.Null(Catalog.Find("Hook"));
        Assert.Null(Catalog.Find("Computed"));
    }

    [Fact]
    public void Flags_set_their_properties_a_record_of_settings_is_built_from_its_members_and_the_rest_keep_their_defaults()
    {
        var values = Parse("--training-time-budget", "00:05:00", "--backbone", "resnet18", "--head-learning-rate", "0.5",
            "--frozen-layers", "conv1,conv2", "--mirror", "false");
        var options = values.ApplyTo(new FutureOptions());

        Assert.Equal(TimeSpan.FromMinutes(5), options.TrainingTimeBudget);
        Assert.Equal(Backbone.ResNet18, options.Backbone);
        Assert.Equal(new FineTuning(2, 0.5), options.FineTuning);
        Assert.Equal(["conv1", "conv2"], options.FrozenLayers);
        Assert.False(options.Mirror);
        Assert.Equal(3, options.FreezeEpochs);
        Assert.True(values.IsGiven("Backbone"));
        Assert.False(values.IsGiven("FreezeEpochs"));
    }

    [Fact]
    public void A_config_file_takes_the_same_settings_by_name_and_what_to_json_writes_reads_back()
    {
        using var temp = new CliTempFolder();
        var file = Path.Combine(temp.Path, "future.json");
        File.WriteAllText(file, """{ "trainingTimeBudget": "01:30:00", "FreezeEpochs": 5, "UnfreezeAtEpoch": 4, "Backbone": "ResNet18" }""");
        var values = new SettingValues(Catalog);
        values.ReadConfig(file);
        var options = values.ApplyTo(new FutureOptions());
        Assert.Equal(TimeSpan.FromMinutes(90), options.TrainingTimeBudget);
        Assert.Equal(5, options.FreezeEpochs);
        Assert.Equal(new FineTuning(4, 0.01), options.FineTuning);

        File.WriteAllText(file, values.ToJson().ToJsonString());
        var again = new SettingValues(Catalog);
        again.ReadConfig(file);
        Assert.Equal(values.ToJson().ToJsonString(), again.ToJson().ToJsonString());
    }

    [Fact]
    public void Help_gives_the_group_how_to_write_a_value_and_the_default()
    {
        var help = Catalog.ToDictionary(s => s.Key, s => s.Description);
        Assert.StartsWith("[network]", help["FreezeEpochs"]);
        Assert.EndsWith("Default 3.", help["FreezeEpochs"]);
        Assert.Contains("Comma-separated.", help["FrozenLayers"]);
        Assert.EndsWith("Default on: --mirror false turns it off.", help["Mirror"]);
        Assert.StartsWith("[optimiser]", help["HeadLearningRate"]);
        Assert.EndsWith("Default 0.01.", help["HeadLearningRate"]);
        Assert.DoesNotContain("Default", help["TrainingTimeBudget"]);
    }

    [Fact]
    public void A_table_renames_inverts_and_sets_defaults_and_refuses_an_entry_that_names_no_setting()
    {
        var table = new FlagTable
        {
            Overrides = new Dictionary<string, FlagOverride>
            {
                ["TrainingTimeBudget"] = new("--budget"),
                ["Mirror"] = new("--no-mirror", Inverted: true),
            },
            Defaults = new Dictionary<string, object?> { ["FreezeEpochs"] = 7 },
        };
        var catalog = SettingCatalog.Derive([typeof(FutureOptions)], table);
        Assert.Equal("--budget", catalog.Find("TrainingTimeBudget")!.Flag);
        Assert.Equal(7, catalog.Find("FreezeEpochs")!.Default);
        var values = Parse(catalog, "--no-mirror");
        Assert.False(values.ApplyTo(new FutureOptions()).Mirror);

        var wrong = new FlagTable { Defaults = new Dictionary<string, object?> { ["FreezeEpoch"] = 7 } };
        Assert.Contains("FreezeEpoch", Assert.Throws<InvalidOperationException>(() => SettingCatalog.Derive([typeof(FutureOptions)], wrong)).Message);
        var mistyped = new FlagTable { Defaults = new Dictionary<string, object?> { ["FreezeEpochs"] = 7.5 } };
        Assert.Throws<InvalidOperationException>(() => SettingCatalog.Derive([typeof(FutureOptions)], mistyped));
    }

    [Theory]
    [InlineData("EarlyStoppingMinDelta", "early-stopping-min-delta")]
    [InlineData("RandomShiftPixels", "random-shift-pixels")]
    [InlineData("ImageSize", "image-size")]
    [InlineData("Epochs", "epochs")]
    [InlineData("ScoringEngineURL", "scoring-engine-url")]
    public void Kebab_case_splits_the_words(string name, string kebab) => Assert.Equal(kebab, SettingCatalog.Kebab(name));

    private static SettingValues Parse(params string[] args) => Parse(Catalog, args);

    private static SettingValues Parse(SettingCatalog catalog, params string[] args)
    {
        var flags = new SettingFlags(catalog);
        var command = new RootCommand();
        foreach (var option in flags.Options)
            command.Options.Add(option);
        var parse = command.Parse(args);
        Assert.Empty(parse.Errors);
        var values = new SettingValues(catalog);
        foreach (var (setting, value) in flags.Given(parse))
            values.Set(setting, value);
        return values;
    }
}
