using System.Collections;
using System.CommandLine.Parsing;
using System.Drawing;
using System.Globalization;

namespace MlNetCnn.Cli.Settings;

/// <summary>
/// How values of one property type are written on the command line and in a config file: the type the flag and the
/// JSON hold (<see cref="CliType"/>), and the conversions to and from the property's own type. A property whose type
/// has no form (a data view, a callback, a cancellation token, a network object) is no setting.
/// </summary>
internal sealed class ValueForm
{
    private readonly Func<object?, string, object?> toProperty;
    private readonly Func<object?, object?> fromProperty;

    private ValueForm(Type propertyType, Type cliType, Func<object?, string, object?>? toProperty = null, Func<object?, object?>? fromProperty = null)
    {
        PropertyType = propertyType;
        CliType = cliType;
        this.toProperty = toProperty ?? ((value, _) => value);
        this.fromProperty = fromProperty ?? (value => value);
    }

    /// <summary>The property's type.</summary>
    public Type PropertyType { get; }

    /// <summary>The type the flag parses to and the config file holds.</summary>
    public Type CliType { get; }

    /// <summary>What <c>--help</c> adds about how to write a value (e.g. "comma-separated"); null when the type says it.</summary>
    public string? Hint { get; private init; }

    /// <summary>How the flag reads its one token, where System.CommandLine's own conversion does not fit (lists).</summary>
    public Func<ArgumentResult, object?>? Parser { get; private init; }

    /// <summary>Whether the value is a list written as one comma-separated token.</summary>
    public bool IsList { get; private init; }

    /// <summary>A value in the command line's form as the property takes it; <paramref name="flag"/> names it in a refusal.</summary>
    /// <exception cref="CliException">The text is not a value of this form (a colour that is no colour).</exception>
    public object? ToProperty(object? value, string flag) => toProperty(value, flag);

    /// <summary>A property's value in the command line's form.</summary>
    public object? FromProperty(object? value) => fromProperty(value);

    /// <summary>A value as <c>--help</c> and a refusal show it: invariant numbers, lists comma-separated.</summary>
    public static string Format(object? value) => value switch
    {
        null => "",
        string text => text,
        bool b => b ? "true" : "false",
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        IEnumerable items => string.Join(",", items.Cast<object?>().Select(Format)),
        _ => value.ToString() ?? "",
    };

    /// <summary>The form of <paramref name="type"/>; null when a property of that type is no command-line setting.</summary>
    public static ValueForm? Of(Type type)
    {
        var plain = Nullable.GetUnderlyingType(type) ?? type;
        if (plain.IsEnum || Scalars.Contains(plain))
            return new ValueForm(type, type);
        if (plain == typeof(TimeSpan))
            return new ValueForm(type, typeof(string), (value, flag) => value is null ? null : ParseDuration((string)value, flag), value => value is null ? null : DurationText.Compact((TimeSpan)value))
            {
                Hint = "a duration such as 90s, 2m or 1m30s",
                // Read when parsed, so that a duration that is none is a usage error, and kept as it is written back.
                Parser = result =>
                {
                    var text = result.Tokens.Count == 0 ? "" : result.Tokens[0].Value;
                    if (DurationText.TryParse(text) is { } time)
                        return DurationText.Compact(time);
                    result.AddError(DurationText.NotADuration(((OptionResult)result.Parent!).Option.Name, text));
                    return null;
                },
            };
        if (plain == typeof(Color) && plain == type)
            return new ValueForm(type, typeof(string), (value, flag) => ParseColor((string)value!, flag), value => FormatColor((Color)value!))
            {
                Hint = "a colour name or #RRGGBB",
            };
        if (ElementOf(type) is { } element && ListElements.Contains(element))
            return List(type, element);
        return null;
    }

    // The types a flag takes as they are (System.CommandLine parses them; System.Text.Json reads and writes them).
    private static readonly HashSet<Type> Scalars =
        [typeof(int), typeof(long), typeof(double), typeof(float), typeof(bool), typeof(string)];

    private static readonly HashSet<Type> ListElements = [typeof(int), typeof(long), typeof(double), typeof(string)];

    // The element of an array or of a generic collection interface the CLI can fill (IReadOnlyList<int>, ISet<string>, …).
    private static Type? ElementOf(Type type)
    {
        if (type.IsArray)
            return type.GetElementType();
        if (!type.IsInterface || !type.IsGenericType || type.GetGenericArguments() is not [var element])
            return null;
        return type.IsAssignableFrom(element.MakeArrayType()) || type.IsAssignableFrom(typeof(HashSet<>).MakeGenericType(element)) ? element : null;
    }

    // A list is an array on the command line and in JSON. The property gets an array, a list, or (typed as a set) a
    // set; a set of strings ignores case, as alarm codes and names do.
    private static ValueForm List(Type type, Type element)
    {
        var array = element.MakeArrayType();
        var list = typeof(List<>).MakeGenericType(element);
        return new ValueForm(type, array,
            (value, _) => value is null || type.IsArray ? value
                : type.IsAssignableFrom(list) ? Activator.CreateInstance(list, value)
                : ToSet((Array)value, element),
            value => value is null ? null : ToArray((IEnumerable)value, element))
        {
            Hint = "comma-separated",
            IsList = true,
            Parser = result => ParseList(result, element),
        };
    }

    private static object ToSet(Array items, Type element) => element == typeof(string)
        ? new HashSet<string>(items.Cast<string>(), StringComparer.OrdinalIgnoreCase)
        : Activator.CreateInstance(typeof(HashSet<>).MakeGenericType(element), items)!;

    private static Array ToArray(IEnumerable items, Type element)
    {
        var list = items.Cast<object>().ToList();
        var array = Array.CreateInstance(element, list.Count);
        for (var i = 0; i < list.Count; i++)
            array.SetValue(list[i], i);
        return array;
    }

    private static Array ParseList(ArgumentResult result, Type element)
    {
        var flag = ((OptionResult)result.Parent!).Option.Name;
        var text = result.Tokens.Count == 0 ? "" : result.Tokens[0].Value;
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var array = Array.CreateInstance(element, parts.Length);
        for (var i = 0; i < parts.Length; i++)
        {
            object? item = element == typeof(string) ? parts[i]
                : element == typeof(int) && int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n
                : element == typeof(long) && long.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) ? l
                : element == typeof(double) && double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d
                : null;
            if (item is null)
            {
                // A command line that does not parse, as System.CommandLine reports one of its own types.
                result.AddError($"{flag} '{text}' must be {(element == typeof(double) ? "numbers" : "whole numbers")} separated by commas, e.g. {(element == typeof(double) ? "0.5,1" : "16,32,64")}.");
                return Array.CreateInstance(element, 0);
            }
            array.SetValue(item, i);
        }
        return array;
    }

    /// <summary>A duration as <see cref="DurationText"/> reads it.</summary>
    /// <exception cref="CliException">Not one; <paramref name="flag"/> names the flag.</exception>
    public static TimeSpan ParseDuration(string text, string flag) =>
        DurationText.TryParse(text) ?? throw new CliException(DurationText.NotADuration(flag, text));

    /// <summary>A colour name (as in CSS: "white", "black", "grey") or #RRGGBB.</summary>
    /// <exception cref="CliException">Neither; <paramref name="flag"/> names the flag.</exception>
    public static Color ParseColor(string text, string flag)
    {
        var t = text.Trim();
        if (t.StartsWith('#') && t.Length == 7 && int.TryParse(t[1..], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var rgb))
            return Color.FromArgb(255, (rgb >> 16) & 0xFF, (rgb >> 8) & 0xFF, rgb & 0xFF);
        var named = Color.FromName(t.Equals("grey", StringComparison.OrdinalIgnoreCase) ? "gray" : t);
        if (named.IsKnownColor)
            return Color.FromArgb(named.A, named.R, named.G, named.B);
        throw new CliException($"{flag} '{text}' is not a colour: give a name (white, black, gray, …) or #RRGGBB.");
    }

    // A colour as ParseColor reads it back: its name when it has one, else #RRGGBB.
    private static string FormatColor(Color color)
    {
        var known = Enum.GetValues<KnownColor>().Select(Color.FromKnownColor)
            .FirstOrDefault(k => !k.IsSystemColor && k.ToArgb() == color.ToArgb());
        return known.IsKnownColor ? known.Name.ToLowerInvariant() : $"#{color.R:X2}{color.G:X2}{color.B:X2}";
    }
}
