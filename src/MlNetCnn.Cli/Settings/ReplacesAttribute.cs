namespace MlNetCnn.Cli.Settings;

/// <summary>
/// On a command's own setting: it is the command line's form of the named library settings, which then get no flag
/// of their own; the command sets them from it, and their refusals come back under its flag.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class ReplacesAttribute(params string[] names) : Attribute
{
    /// <summary>The library settings' names.</summary>
    public IReadOnlyList<string> Names { get; } = names;
}
