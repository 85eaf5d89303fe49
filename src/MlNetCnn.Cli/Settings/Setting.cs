using System.Reflection;

namespace MlNetCnn.Cli.Settings;

/// <summary>
/// One setting of a command, derived from one options property: its config key, its flag, its group and help, the
/// form its values take on the command line, and its default there.
/// </summary>
internal sealed class Setting
{
    /// <summary>The property's name: the config file's key and metrics.json's.</summary>
    public required string Key { get; init; }

    /// <summary>The flag, e.g. <c>--epochs</c>.</summary>
    public required string Flag { get; init; }

    /// <summary>The group <c>--help</c> lists it under (the property's <c>[Category]</c>).</summary>
    public required string Group { get; init; }

    /// <summary>What <c>--help</c> says it does (the property's summary without its default, or the table's text).</summary>
    public required string Help { get; init; }

    /// <summary>How its values are written on the command line and in JSON.</summary>
    public required ValueForm Form { get; init; }

    /// <summary>Its value when neither the config file nor a flag gives one, in the command line's form.</summary>
    public required object? Default { get; init; }

    /// <summary>Whether the property takes null (a nullable value type, or a reference declared nullable).</summary>
    public required bool AcceptsNull { get; init; }

    /// <summary>The property the value goes to (of the options type, or of the record that <see cref="Parent"/> holds).</summary>
    public required PropertyInfo Property { get; init; }

    /// <summary>The options property holding a record of settings (e.g. Network) that this one is a member of; null for none.</summary>
    public PropertyInfo? Parent { get; init; }

    /// <summary>The options type the value goes to.</summary>
    public Type Owner => (Parent ?? Property).DeclaringType!;

    /// <summary>The names of the settings whose refusals come back under this flag: its own, and those it replaces.</summary>
    public required IReadOnlyList<string> Answers { get; init; }

    /// <summary>How the flag differs from what was derived; null when it does not.</summary>
    public FlagOverride? Override { get; init; }

    /// <summary>The flag of the setting <see cref="FlagOverride.Word"/> sets, for <c>--help</c>.</summary>
    public string? WordFlag { get; init; }

    /// <summary>The flag's whole <c>--help</c> text: group, help, how to write a value, default.</summary>
    public string Description
    {
        get
        {
            var text = new List<string> { $"[{Group}]" };
            if (Help.Length > 0)
                text.Add(Help);
            if (Override?.Word is { } word)
                text.Add($"Or '{word}' (as {WordFlag ?? Override.WordSets}).");
            if (Override?.NoneWord is { } none)
                text.Add($"Or '{none}' for none.");
            if (Form.Hint is { } hint)
                text.Add(char.ToUpperInvariant(hint[0]) + hint[1..] + ".");
            if (DefaultText() is { } shown)
                text.Add(shown);
            return string.Join(" ", text);
        }
    }

    private string? DefaultText() => Default switch
    {
        null => null,
        bool on when Override?.Inverted == true => on ? null : $"Default: off.",
        true => $"Default on: {Flag} false turns it off.",
        false => null,
        System.Collections.ICollection { Count: 0 } => null,
        _ => $"Default {ValueForm.Format(Default)}.",
    };

    /// <inheritdoc />
    public override string ToString() => $"{Flag} ({Key})";
}
