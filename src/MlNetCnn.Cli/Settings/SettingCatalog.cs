using System.Collections;
using System.ComponentModel;
using System.Reflection;
using System.Text.RegularExpressions;

namespace MlNetCnn.Cli.Settings;

/// <summary>
/// A command's settings, derived from options types: every public settable property whose type has a
/// <see cref="ValueForm"/> is a setting, and a property holding a record of such values (NetworkShape) gives one
/// setting per constructor parameter. The key is the property's name; the flag its kebab-case (<c>EarlyStoppingMinDelta</c>
/// → <c>--early-stopping-min-delta</c>) unless the <see cref="FlagTable"/> keeps another; the group its
/// <c>[Category]</c>; the help its <c>///</c> summary (see <see cref="XmlDocs.ForCommandLine"/>);
/// the default the table's, else the property's initial value. A property added to an options type is a flag, a
/// config key and a line of <c>--help</c> with no edit here.
/// </summary>
internal sealed partial class SettingCatalog : IReadOnlyList<Setting>
{
    /// <summary>The group of a property without <c>[Category]</c>.</summary>
    public const string OtherGroup = "other";

    private readonly List<Setting> settings;
    private readonly Dictionary<string, Setting> byKey;

    private SettingCatalog(List<Setting> settings)
    {
        this.settings = settings;
        byKey = settings.ToDictionary(s => s.Key, StringComparer.OrdinalIgnoreCase);
        Groups = settings.Select(s => s.Group).Distinct().ToList();
    }

    /// <summary>The groups, in <c>--help</c> order.</summary>
    public IReadOnlyList<string> Groups { get; }

    /// <summary>
    /// The settings of <paramref name="optionTypes"/> (each with a public parameterless constructor, whose values
    /// are the defaults), in <c>--help</c> order: by group, then by type in the order given, then as declared. A
    /// property of an earlier type marked <see cref="ReplacesAttribute"/> takes the named properties' place.
    /// </summary>
    /// <exception cref="InvalidOperationException">
    /// Two settings share a name (case ignored) or a flag, or a table entry names no setting or has the wrong type: a
    /// mistake in the options or the table, which every command-line test meets first.
    /// </exception>
    public static SettingCatalog Derive(IReadOnlyList<Type> optionTypes, FlagTable table)
    {
        var found = new List<(PropertyInfo Property, PropertyInfo? Parent, ValueForm Form, object? Initial, string Group, string[] Replaces)>();
        var replaced = new HashSet<string>();
        foreach (var type in optionTypes)
        {
            var instance = Activator.CreateInstance(type)!;
            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).OrderBy(p => p.MetadataToken))
            {
                if (property.SetMethod is not { IsPublic: true } || table.Bound.Contains(property.Name) || replaced.Contains(property.Name))
                    continue;
                var group = property.GetCustomAttribute<CategoryAttribute>()?.Category ?? OtherGroup;
                var replaces = property.GetCustomAttribute<ReplacesAttribute>()?.Names.ToArray() ?? [];
                replaced.UnionWith(replaces);
                var value = property.GetValue(instance);
                if (ValueForm.Of(property.PropertyType) is { } form)
                {
                    found.Add((property, null, form, form.FromProperty(value), group, replaces));
                    continue;
                }
                foreach (var (member, memberForm) in RecordMembers(property.PropertyType))
                    found.Add((member, property, memberForm, memberForm.FromProperty(value is null ? null : member.GetValue(value)), group, []));
            }
        }

        foreach (var clash in found.GroupBy(f => f.Property.Name, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
            throw new InvalidOperationException(
                $"Two settings are called {clash.Key} ({string.Join(", ", clash.Select(f => $"{f.Property.DeclaringType!.Name}.{f.Property.Name}"))}): a config key names one setting. Rename one, mark the command's [Replaces], or bind it.");
        var flags = found.ToDictionary(f => f.Property.Name, f => table.Overrides.GetValueOrDefault(f.Property.Name)?.Name ?? "--" + Kebab(f.Property.Name));
        string? Cref(string cref) =>
            cref.StartsWith("P:", StringComparison.Ordinal) && found.FirstOrDefault(f => cref == $"P:{f.Property.DeclaringType!.FullName}.{f.Property.Name}") is { Property: not null } hit
                ? flags[hit.Property.Name]
                : null;
        var settings = found.Select(f =>
        {
            var key = f.Property.Name;
            var entry = table.Overrides.GetValueOrDefault(key);
            var initial = table.Defaults.TryGetValue(key, out var given) ? given : f.Initial;
            if (initial is not null && !f.Form.CliType.IsInstanceOfType(initial))
                throw new InvalidOperationException($"The default of {key} is a {initial.GetType().Name}; the setting takes {f.Form.CliType.Name}.");
            return new Setting
            {
                Key = key,
                Flag = flags[key],
                Group = f.Group,
                Help = entry?.Help ?? XmlDocs.ForCommandLine(XmlDocs.Summary(f.Property, Cref) ?? ""),
                Form = f.Form,
                Default = initial,
                AcceptsNull = AcceptsNull(f.Property),
                Property = f.Property,
                Parent = f.Parent,
                Answers = [key, .. f.Replaces],
                Override = entry,
                WordFlag = entry?.WordSets is { } sets ? flags.GetValueOrDefault(sets) : null,
            };
        }).ToList();

        var seen = settings.Select(s => s.Group).Distinct().ToList();
        var ordered = settings.OrderBy(s => Rank(table.GroupOrder, seen, s.Group)).ThenBy(s => settings.IndexOf(s)).ToList();
        Check(ordered, table);
        return new SettingCatalog(ordered);
    }

    /// <summary>The setting with key <paramref name="key"/> (case ignored); null for none.</summary>
    public Setting? Find(string key) => byKey.GetValueOrDefault(key);

    /// <summary>The setting whose flag answers for refusals of the library setting <paramref name="name"/>; null for none.</summary>
    public Setting? Answering(string? name) => name is null ? null : settings.FirstOrDefault(s => s.Answers.Contains(name, StringComparer.Ordinal));

    /// <summary>
    /// Sets every setting of <paramref name="options"/>' type to its value in <paramref name="values"/> (a record of
    /// settings is built anew from its members' values).
    /// </summary>
    /// <exception cref="CliException">A value is not of its setting's form (a colour that is no colour).</exception>
    public void ApplyTo(object options, IReadOnlyDictionary<string, object?> values)
    {
        var mine = settings.Where(s => s.Owner == options.GetType()).ToList();
        foreach (var setting in mine.Where(s => s.Parent is null))
        {
            // A null the property cannot hold (a table default of null): the options keep their own.
            if (values[setting.Key] is null && !setting.AcceptsNull)
                continue;
            setting.Property.SetValue(options, setting.Form.ToProperty(values[setting.Key], setting.Flag));
        }
        foreach (var record in mine.Where(s => s.Parent is not null).GroupBy(s => s.Parent!))
        {
            var constructor = record.Key.PropertyType.GetConstructors().Single();
            var arguments = constructor.GetParameters()
                .Select(p => record.Single(s => string.Equals(s.Property.Name, p.Name, StringComparison.OrdinalIgnoreCase)))
                .Select(s => s.Form.ToProperty(values[s.Key], s.Flag))
                .ToArray();
            record.Key.SetValue(options, constructor.Invoke(arguments));
        }
    }

    /// <inheritdoc />
    public Setting this[int index] => settings[index];

    /// <inheritdoc />
    public int Count => settings.Count;

    /// <inheritdoc />
    public IEnumerator<Setting> GetEnumerator() => settings.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary><paramref name="name"/> in kebab case: <c>EarlyStoppingMinDelta</c> → <c>early-stopping-min-delta</c>.</summary>
    public static string Kebab(string name) => WordStart().Replace(name, "-").ToLowerInvariant();

    // A record of settings (e.g. NetworkShape): one public constructor whose every parameter is a property with a form.
    private static IEnumerable<(PropertyInfo Member, ValueForm Form)> RecordMembers(Type type)
    {
        if (type.IsInterface || type.IsAbstract || type.GetConstructors() is not [var constructor])
            return [];
        var members = constructor.GetParameters().Select(p =>
        {
            var member = type.GetProperty(p.Name ?? "", BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            return member is not null && member.PropertyType == p.ParameterType && ValueForm.Of(member.PropertyType) is { } form ? (member, form) : default;
        }).ToList();
        return members.Count > 0 && members.All(m => m.member is not null) ? members : [];
    }

    private static bool AcceptsNull(PropertyInfo property) => property.PropertyType.IsValueType
        ? Nullable.GetUnderlyingType(property.PropertyType) is not null
        : new NullabilityInfoContext().Create(property).WriteState != NullabilityState.NotNull;

    // The table's groups first, in its order; then the others, as first seen.
    private static int Rank(IReadOnlyList<string> order, List<string> seen, string group)
    {
        var index = order.ToList().IndexOf(group);
        return index < 0 ? order.Count + seen.IndexOf(group) : index;
    }

    private static void Check(List<Setting> settings, FlagTable table)
    {
        foreach (var clash in settings.GroupBy(s => s.Flag).Where(g => g.Count() > 1))
            throw new InvalidOperationException($"Two settings have the flag {clash.Key}: {string.Join(", ", clash.Select(s => s.Key))}.");
        foreach (var taken in settings.Where(s => table.Reserved.Contains(s.Flag)))
            throw new InvalidOperationException($"{taken.Key}'s flag {taken.Flag} is the command's own; give it another name in the flag table.");
        var keys = settings.Select(s => s.Key).ToHashSet();
        foreach (var key in table.Overrides.Keys.Concat(table.Defaults.Keys).Where(k => !keys.Contains(k)))
            throw new InvalidOperationException($"The flag table names {key}, which is no setting.");
        foreach (var (key, entry) in table.Overrides)
        {
            var setting = settings.Single(s => s.Key == key);
            if (entry.Inverted && setting.Form.CliType != typeof(bool))
                throw new InvalidOperationException($"{key} is inverted but is not a Boolean setting.");
            if (entry.NoneWord is not null && !setting.AcceptsNull)
                throw new InvalidOperationException($"{key}'s word '{entry.NoneWord}' sets null, which the setting does not take.");
            if (entry.WordSets is { } sets && settings.FirstOrDefault(s => s.Key == sets)?.Form.CliType != typeof(bool))
                throw new InvalidOperationException($"{key}'s word '{entry.Word}' sets {sets}, which is no Boolean setting.");
        }
    }

    [GeneratedRegex("(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")]
    private static partial Regex WordStart();
}
