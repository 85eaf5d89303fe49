namespace MlNetCnn.Cli.Settings;

/// <summary>
/// What a command line says differently from the options its flags are derived from, setting by setting (by key);
/// everything not here is derived (see <see cref="SettingCatalog"/>).
/// </summary>
internal sealed class FlagTable
{
    /// <summary>A table that changes nothing: every setting as derived.</summary>
    public static FlagTable None { get; } = new();

    /// <summary>Flags that keep another name than the kebab-case of their setting, and how they differ.</summary>
    public IReadOnlyDictionary<string, FlagOverride> Overrides { get; init; } = new Dictionary<string, FlagOverride>();

    /// <summary>
    /// The command line's own defaults, in the command line's form, where they differ from the options' initial values.
    /// Null for a setting whose property cannot hold null: left to the options unless given (the library decides).
    /// </summary>
    public IReadOnlyDictionary<string, object?> Defaults { get; init; } = new Dictionary<string, object?>();

    /// <summary>Settings the command sets itself (from its data), which are no flags.</summary>
    public IReadOnlySet<string> Bound { get; init; } = new HashSet<string>();

    /// <summary>Flags the command has besides its settings (<c>--config</c>, <c>--help</c>), which no setting may take.</summary>
    public IReadOnlySet<string> Reserved { get; init; } = new HashSet<string>();

    /// <summary>The order of the groups in <c>--help</c>; a group not listed comes after these.</summary>
    public IReadOnlyList<string> GroupOrder { get; init; } = [];
}

/// <summary>How one flag differs from what its setting would derive.</summary>
/// <param name="Name">The flag's name (e.g. <c>--lr</c>) instead of the kebab-case of the setting's.</param>
/// <param name="Help">What <c>--help</c> says instead of the setting's summary, where the command line's meaning differs.</param>
/// <param name="Inverted">The flag turns a true-by-default setting off (<c>--no-learnability-check</c>).</param>
/// <param name="Word">A word the flag takes besides a value (<c>--lr auto</c>), which sets <see cref="WordSets"/> instead.</param>
/// <param name="WordSets">The Boolean setting <see cref="Word"/> sets to true, and a value sets to false.</param>
/// <param name="NoneWord">A word the flag takes besides a value that sets the setting to null (<c>--early-stopping off</c>).</param>
internal sealed record FlagOverride(string? Name = null, string? Help = null, bool Inverted = false, string? Word = null, string? WordSets = null, string? NoneWord = null);
