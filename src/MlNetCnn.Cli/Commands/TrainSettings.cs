using MlNetCnn.Cli.Settings;

namespace MlNetCnn.Cli.Commands;

/// <summary>
/// Everything <c>train</c> was told, by setting key (<see cref="Catalog"/>: the library's options and the command's
/// own). Values come from the defaults, then the config file, then the flags given.
/// </summary>
internal sealed class TrainSettings() : SettingValues(Catalog)
{
    /// <summary>Every setting of <c>train</c>, derived from the options types (see <see cref="TrainTable"/> for what is not).</summary>
    public static new SettingCatalog Catalog { get; } = SettingCatalog.Derive([typeof(TrainCommandSettings), typeof(CnnImageOptions), typeof(CnnOptions)], TrainTable.Flags);

    /// <summary>The flag of setting <paramref name="key"/>, for the command's own messages.</summary>
    public static string Flag(string key) => Catalog.Find(key)?.Flag ?? throw new ArgumentException($"No setting {key}.", nameof(key));

    /// <summary>The command's own settings.</summary>
    public TrainCommandSettings Command() => ApplyTo(new TrainCommandSettings());

    /// <summary>The image step's options.</summary>
    /// <exception cref="CliException">A value is not of its setting's form (a colour that is no colour).</exception>
    public CnnImageOptions ImageOptions()
    {
        var options = new CnnImageOptions
        {
            InputColumnName = nameof(Data.ImageRow.ImagePath),
            OutputColumnName = Data.ImagePipeline.FeaturesColumn,
        };
        ApplyTo(options);
        options.Width = options.Height = Command().ImageSize;
        return options;
    }

    /// <summary>
    /// The estimator's options (without the data-bound ones: validation set, progress, cancellation, class names).
    /// Whether to cache images is left to the command when the settings do not say.
    /// </summary>
    /// <exception cref="CliException">A value is not of its setting's form, or --network names no network.</exception>
    public CnnOptions ToCnnOptions()
    {
        var options = new CnnOptions
        {
            LabelColumnName = nameof(Data.ImageRow.Label),
            FeatureColumnName = Data.ImagePipeline.FeaturesColumn,
        };
        ApplyTo(options);
        var own = Command();
        options.CustomNetwork = ParseNetwork(own.CustomNetwork);
        options.Backbone = ParseBackbone(own.Backbone);
        (options.FineTuning, options.UnfrozenStages) = ParseFineTune(own.FineTune);
        options.CacheImages = own.CacheImages ?? false;
        return options;
    }

    /// <summary>What <c>--network</c> names: null for the built-in network.</summary>
    /// <exception cref="CliException">Not one of the forms, or a TorchScript file that is missing or is not TorchScript.</exception>
    public static CustomNetwork? ParseNetwork(string? text)
    {
        var t = text?.Trim();
        if (string.IsNullOrEmpty(t) || t.Equals(BuiltInNetworkName, StringComparison.OrdinalIgnoreCase))
            return null;
        if (t.Equals(ResidualNetworkName, StringComparison.OrdinalIgnoreCase))
            return MlNetCnn.CustomNetwork.Residual();
        if (t.StartsWith(ResidualNetworkName + ":", StringComparison.OrdinalIgnoreCase))
            return MlNetCnn.CustomNetwork.FromFactory(MlNetCnn.CustomNetwork.ResidualFactoryName, t[(ResidualNetworkName.Length + 1)..]);
        if (t.StartsWith(TorchScriptPrefix, StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                return MlNetCnn.CustomNetwork.FromTorchScript(t[TorchScriptPrefix.Length..]);
            }
            catch (Exception e) when (e is FileNotFoundException or InvalidDataException or IOException or UnauthorizedAccessException)
            {
                throw new CliException($"{Flag(nameof(TrainCommandSettings.CustomNetwork))} {t}: {e.Message}", e);
            }
        }
        throw new CliException($"{Flag(nameof(TrainCommandSettings.CustomNetwork))} '{text}' is not a network: give {BuiltInNetworkName}, {ResidualNetworkName}, {ResidualNetworkName}:16,32,64 (stage channels) or {TorchScriptPrefix}FILE.pt (a module scripted in PyTorch).");
    }

    /// <summary>
    /// With a backbone, the defaults of what was not given become the photo ones (<see cref="TrainTable.PhotoDefaults"/>):
    /// the backbone's input size, a centre crop of the shorter side, colour, no mirror (so that the frozen epochs reuse
    /// each image's features), and fewer epochs.
    /// </summary>
    public void UsePhotoDefaultsWithABackbone()
    {
        if (string.IsNullOrWhiteSpace(Command().Backbone) || Command().Backbone!.Trim().Equals("none", StringComparison.OrdinalIgnoreCase))
            return;
        foreach (var (key, value) in TrainTable.PhotoDefaults)
            SetDefault(key, value);
    }

    /// <summary>What <c>--backbone</c> names: null for none.</summary>
    /// <exception cref="CliException">Not one of the forms, or a file that is not there (the message says where it looked and which package to add).</exception>
    public static PretrainedBackbone? ParseBackbone(string? text)
    {
        var t = text?.Trim();
        if (string.IsNullOrEmpty(t) || t.Equals("none", StringComparison.OrdinalIgnoreCase))
            return null;
        try
        {
            if (t.Equals(ResNet18Name, StringComparison.OrdinalIgnoreCase))
                return PretrainedBackbone.ResNet18();
            if (t.StartsWith(ResNet18Name + ":", StringComparison.OrdinalIgnoreCase))
                return PretrainedBackbone.ResNet18(t[(ResNet18Name.Length + 1)..]);
            if (t.StartsWith(OnnxPrefix, StringComparison.OrdinalIgnoreCase))
                return PretrainedBackbone.FromOnnx(t[OnnxPrefix.Length..]);
        }
        catch (Exception e) when (e is FileNotFoundException or InvalidDataException or IOException or UnauthorizedAccessException)
        {
            throw new CliException($"{Flag(nameof(TrainCommandSettings.Backbone))} {t}: {e.Message}", e);
        }
        throw new CliException($"{Flag(nameof(TrainCommandSettings.Backbone))} '{text}' is not a backbone: give {ResNet18Name}, {ResNet18Name}:PATH or {OnnxPrefix}FILE.onnx.");
    }

    /// <summary>What <c>--fine-tune</c> says: frozen, last:N or all (not given: the library's default).</summary>
    /// <exception cref="CliException">Not one of the forms.</exception>
    public static (FineTuning Mode, int Stages) ParseFineTune(string? text)
    {
        var t = text?.Trim().ToLowerInvariant();
        if (string.IsNullOrEmpty(t))
            return (CnnOptions.DefaultFineTuning, CnnOptions.DefaultUnfrozenStages);
        if (t == "frozen")
            return (FineTuning.Frozen, CnnOptions.DefaultUnfrozenStages);
        if (t == "all")
            return (FineTuning.All, CnnOptions.DefaultUnfrozenStages);
        if (t.StartsWith("last:", StringComparison.Ordinal) && int.TryParse(t["last:".Length..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var stages))
            return (FineTuning.LastStages, stages);
        throw new CliException($"{Flag(nameof(TrainCommandSettings.FineTune))} '{text}' is not a way to fine-tune: give frozen, last:N (the last N stages) or all.");
    }

    /// <summary><c>--backbone</c>'s name for ML.NET's pretrained ResNet18.</summary>
    public const string ResNet18Name = "resnet18";

    /// <summary><c>--backbone</c>'s prefix for an ONNX file.</summary>
    public const string OnnxPrefix = "onnx:";

    /// <summary><c>--network</c>'s name for the built-in network.</summary>
    public const string BuiltInNetworkName = "builtin";

    /// <summary><c>--network</c>'s name for MlNetCnn's residual network.</summary>
    public const string ResidualNetworkName = "residual";

    /// <summary><c>--network</c>'s prefix for a TorchScript file.</summary>
    public const string TorchScriptPrefix = "torchscript:";

    /// <summary>The settings of <paramref name="path"/>, a JSON object keyed by setting names (case ignored), over the defaults.</summary>
    /// <exception cref="CliException">The file is missing, not JSON, has a key that is no setting (all are listed), or a value of the wrong kind.</exception>
    public static TrainSettings FromConfig(string path)
    {
        var settings = new TrainSettings();
        settings.ReadConfig(path);
        return settings;
    }
}
