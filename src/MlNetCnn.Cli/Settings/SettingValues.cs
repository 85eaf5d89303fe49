using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace MlNetCnn.Cli.Settings;

/// <summary>
/// The values of a <see cref="SettingCatalog"/>'s settings, by key, in the command line's form: the defaults, over them
/// a config file's (<see cref="ReadConfig"/>), over those the flags given (<see cref="Set"/>).
/// </summary>
internal class SettingValues
{
    private readonly Dictionary<string, object?> values;
    private readonly HashSet<string> given = [];

    /// <summary>Every setting of <paramref name="catalog"/> at its default.</summary>
    public SettingValues(SettingCatalog catalog)
    {
        Catalog = catalog;
        values = catalog.ToDictionary(s => s.Key, s => s.Default);
    }

    /// <summary>The settings.</summary>
    public SettingCatalog Catalog { get; }

    /// <summary>The value of setting <paramref name="key"/> (case ignored).</summary>
    public object? this[string key] => values[Catalog.Find(key)?.Key ?? throw new ArgumentException($"No setting {key}.", nameof(key))];

    /// <summary>Sets <paramref name="setting"/>, which counts as given from now on.</summary>
    public void Set(Setting setting, object? value)
    {
        values[setting.Key] = value;
        given.Add(setting.Key);
    }

    /// <summary>Changes the default of setting <paramref name="key"/> unless the config file or a flag gave it (it stays not given).</summary>
    public void SetDefault(string key, object? value)
    {
        var setting = Catalog.Find(key) ?? throw new ArgumentException($"No setting {key}.", nameof(key));
        if (!given.Contains(setting.Key))
            values[setting.Key] = value;
    }

    /// <summary>Whether the config file or a flag gave setting <paramref name="key"/>.</summary>
    public bool IsGiven(string key) => given.Contains(key);

    /// <summary>Sets the settings of <paramref name="options"/>' type to these values.</summary>
    /// <exception cref="CliException">A value is not of its setting's form (a colour that is no colour).</exception>
    public T ApplyTo<T>(T options) where T : notnull
    {
        Catalog.ApplyTo(options, values);
        return options;
    }

    /// <summary>
    /// What <paramref name="make"/> builds, once <paramref name="check"/> (the library's) accepts it. A refusal comes
    /// back under the flag of the setting it names, or of <paramref name="answerFor"/>'s (see <see cref="Refusal"/>).
    /// </summary>
    /// <exception cref="CliException">Not made, or refused.</exception>
    public T Checked<T>(Func<T> make, Action<T> check, string? answerFor = null)
    {
        var made = make();
        try
        {
            check(made);
        }
        catch (ArgumentException e)
        {
            throw Refusal(e, answerFor);
        }
        return made;
    }

    /// <summary>
    /// The library's refusal <paramref name="e"/> under the flag of the setting it names (or of
    /// <paramref name="answerFor"/>), with the value given: <c>--epochs 0: Epochs must be at least 1.</c>
    /// </summary>
    public CliException Refusal(ArgumentException e, string? answerFor = null)
    {
        var message = e.Message.Split(" (Parameter")[0].Split('\n')[0].Trim();
        if (Catalog.Answering(answerFor ?? e.ParamName) is not { } setting)
            return new CliException(message, e);
        var value = values[setting.Key];
        return new CliException($"{setting.Flag}{(value is null or bool ? "" : " " + ValueForm.Format(value))}: {message}", e);
    }

    /// <summary>Every setting by its key, as metrics.json records them and <see cref="ReadConfig"/> reads them back.</summary>
    public JsonObject ToJson()
    {
        var json = new JsonObject();
        foreach (var setting in Catalog)
            json[setting.Key] = values[setting.Key] is { } value ? JsonSerializer.SerializeToNode(value, setting.Form.CliType, JsonOptions) : null;
        return json;
    }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        Converters = { new JsonStringEnumConverter() },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Sets the settings of <paramref name="path"/>, a JSON object keyed by setting names (case ignored).</summary>
    /// <exception cref="CliException">The file is missing, not JSON, has a key that is no setting (all are listed), or a value of the wrong kind.</exception>
    public void ReadConfig(string path)
    {
        if (!File.Exists(path))
            throw new CliException($"--config '{path}' does not exist.");
        JsonObject root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }) as JsonObject
                ?? throw new CliException($"--config '{path}' must hold one JSON object of settings, e.g. {{ \"Epochs\": 20 }}.");
        }
        catch (JsonException e)
        {
            throw new CliException($"--config '{path}' is not valid JSON: {e.Message}", e);
        }
        foreach (var (key, node) in root)
        {
            var setting = Catalog.Find(key)
                ?? throw new CliException($"--config '{path}' has the key '{key}', which is not a setting. Settings: {string.Join(", ", Catalog.Select(s => s.Key))}.");
            object? value;
            try
            {
                value = node?.Deserialize(setting.Form.CliType, JsonOptions);
            }
            catch (JsonException e)
            {
                throw new CliException($"--config '{path}': the value of {setting.Key} is not what that setting takes ({e.Message.Split(" Path:")[0]})", e);
            }
            if (value is null && !setting.AcceptsNull)
                throw new CliException($"--config '{path}': the value of {setting.Key} is null, which that setting does not take.");
            Set(setting, value);
        }
    }
}
