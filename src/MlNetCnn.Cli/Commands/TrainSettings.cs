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
