using System.CommandLine;
using System.Globalization;
using System.Reflection;

namespace MlNetCnn.Cli.Settings;

/// <summary>
/// The System.CommandLine options of some settings, and what a parsed command line gives them. A Boolean flag alone
/// means true (<c>--flip</c>) and takes true or false (<c>--flip false</c>); an inverted one sets false.
/// </summary>
internal sealed class SettingFlags
{
    private readonly SettingCatalog catalog;
    private readonly List<(Setting Setting, Option Option, Func<ParseResult, object?> Read)> flags;

    /// <summary>One option per setting of <paramref name="catalog"/> (or of those of <paramref name="keys"/>), in its order.</summary>
    public SettingFlags(SettingCatalog catalog, IReadOnlyCollection<string>? keys = null)
    {
        this.catalog = catalog;
        var create = typeof(SettingFlags).GetMethod(nameof(Create), BindingFlags.NonPublic | BindingFlags.Static)!;
        flags = catalog.Where(s => keys is null || keys.Contains(s.Key)).Select(s =>
        {
            var type = s.Override?.Word is null && s.Override?.NoneWord is null ? s.Form.CliType : typeof(string);
            var (option, read) = ((Option, Func<ParseResult, object?>))create.MakeGenericMethod(type).Invoke(null, [s])!;
            return (s, option, read);
        }).ToList();
    }

    /// <summary>The options, to add to a command.</summary>
    public IEnumerable<Option> Options => flags.Select(f => f.Option);

    /// <summary>
    /// Each value given on <paramref name="parse"/>'s command line, in the order of the flags, as
    /// (setting, value) pairs; a flag's word (<c>--lr auto</c>) gives the pair of the setting it sets.
    /// </summary>
    /// <exception cref="CliException">A flag that takes a word was given neither it nor a value.</exception>
    public IEnumerable<(Setting Setting, object? Value)> Given(ParseResult parse)
    {
        foreach (var (setting, option, read) in flags)
        {
            if (parse.GetResult(option) is not { Implicit: false })
                continue;
            var value = read(parse);
            if (setting.Override is { Word: { } word, WordSets: { } sets })
            {
                var text = (string)value!;
                var isWord = string.Equals(text, word, StringComparison.OrdinalIgnoreCase);
                if (!isWord)
                    yield return (setting, ParseScalar(text, setting, word));
                yield return (catalog.Find(sets)!, isWord);
                continue;
            }
            if (setting.Override?.NoneWord is { } none)
            {
                var text = (string)value!;
                yield return (setting, string.Equals(text, none, StringComparison.OrdinalIgnoreCase) ? null : ParseScalar(text, setting, none));
                continue;
            }
            yield return (setting, setting.Override?.Inverted == true ? !(bool)value! : value);
        }
    }

    private static (Option, Func<ParseResult, object?>) Create<T>(Setting setting)
    {
        var option = new Option<T>(setting.Flag) { Description = setting.Description };
        if (setting.Form.Parser is { } parser && setting.Override?.Word is null && setting.Override?.NoneWord is null)
        {
            option.CustomParser = result => (T)parser(result)!;
            option.Arity = ArgumentArity.ExactlyOne;
        }
        return (option, parse => parse.GetValue(option));
    }

    // A flag that also takes a word reads text; anything but the word is a value of its setting.
    private static object ParseScalar(string text, Setting setting, string word)
    {
        try
        {
            return Convert.ChangeType(text, Nullable.GetUnderlyingType(setting.Form.CliType) ?? setting.Form.CliType, CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is FormatException or InvalidCastException or OverflowException)
        {
            throw new CliException($"{setting.Flag} '{text}' is neither a {(setting.Form.CliType == typeof(string) ? "text" : "number")} nor '{word}'.", e);
        }
    }
}
