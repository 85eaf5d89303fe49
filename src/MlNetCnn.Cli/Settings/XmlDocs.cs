using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace MlNetCnn.Cli.Settings;

/// <summary>
/// The <c>///</c> summaries of properties, read from the XML documentation file the compiler writes beside each
/// assembly (<c>GenerateDocumentationFile</c>), as plain text for <c>--help</c>.
/// </summary>
internal static partial class XmlDocs
{
    private static readonly ConcurrentDictionary<Assembly, IReadOnlyDictionary<string, XElement>> Files = new();

    /// <summary>
    /// The summary of <paramref name="property"/> as one line of text, each <c>&lt;see cref&gt;</c> written as
    /// <paramref name="cref"/> says (or by its name; a constant by its value); null when the documentation file is
    /// missing or has no summary for it.
    /// </summary>
    public static string? Summary(PropertyInfo property, Func<string, string?> cref)
    {
        var type = property.DeclaringType!;
        if (!Members(type.Assembly).TryGetValue($"P:{type.FullName!.Replace('+', '.')}.{property.Name}", out var member)
            || member.Element("summary") is not { } summary)
            return null;
        return Space().Replace(Text(summary, type, cref), " ").Trim();
    }

    /// <summary>
    /// <paramref name="summary"/> as the command line says it: without its sentences that state a default ("Default 10.",
    /// "Default: constant."; the command line says its own), and with the library's null called what it is there, a
    /// setting not given ("null for none" → "not given: none").
    /// </summary>
    public static string ForCommandLine(string summary)
    {
        var text = string.Join(" ", SentenceEnd().Split(summary).Where(s => !DefaultSentence().IsMatch(s))).Trim();
        return Null().Replace(NullFor().Replace(text, "not given:"), "not given");
    }

    private static IReadOnlyDictionary<string, XElement> Members(Assembly assembly) => Files.GetOrAdd(assembly, a =>
    {
        var file = string.IsNullOrEmpty(a.Location) ? null : Path.ChangeExtension(a.Location, ".xml");
        if (file is null || !File.Exists(file))
            return new Dictionary<string, XElement>();
        try
        {
            return XDocument.Load(file).Descendants("member")
                .Where(m => m.Attribute("name") is not null)
                .GroupBy(m => (string)m.Attribute("name")!)
                .ToDictionary(g => g.Key, g => g.First());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Xml.XmlException)
        {
            // Help without the summaries beats no help.
            return new Dictionary<string, XElement>();
        }
    });

    private static string Text(XElement element, Type owner, Func<string, string?> cref)
    {
        var text = new StringBuilder();
        foreach (var node in element.Nodes())
        {
            text.Append(node switch
            {
                XText t => t.Value,
                XElement { Name.LocalName: "see" or "seealso" } see when see.Attribute("cref") is { } c => cref(c.Value) ?? Name(c.Value, owner),
                XElement { Name.LocalName: "see" } see when see.Attribute("langword") is { } word => word.Value,
                XElement { Name.LocalName: "paramref" or "typeparamref" } p => (string?)p.Attribute("name") ?? "",
                XElement e => Text(e, owner, cref),
                _ => "",
            });
        }
        return text.ToString();
    }

    // How a reference reads in plain text: a constant by its value (an enum's by its name), a member of the documented type by its name, any
    // other by Type.Member.
    private static string Name(string cref, Type owner)
    {
        var kind = cref[0];
        var path = cref[2..];
        var parenthesis = path.IndexOf('(');
        if (parenthesis >= 0)
            path = path[..parenthesis];
        var parts = path.Split('.');
        if (kind == 'T')
            return parts[^1].Split('`')[0];
        if (kind == 'F' && Constant(owner.Assembly, string.Join(".", parts[..^1]), parts[^1]) is { } value)
            return value;
        var typeName = parts.Length > 1 ? parts[^2] : "";
        return typeName == owner.Name || typeName.Length == 0 ? parts[^1] : $"{typeName}.{parts[^1]}";
    }

    private static string? Constant(Assembly assembly, string typeName, string field)
    {
        var type = assembly.GetType(typeName) ?? Type.GetType(typeName);
        return type?.GetField(field, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static) is not { IsLiteral: true } f ? null
            : type.IsEnum ? f.Name
            : Convert.ToString(f.GetRawConstantValue(), CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Space();

    // A sentence ends at ., ! or ? followed by a space and a capital (so "e.g. x" and "0.5" do not end one).
    [GeneratedRegex(@"(?<=[.!?])\s+(?=[A-Z])")]
    private static partial Regex SentenceEnd();

    [GeneratedRegex(@"^Default\b")]
    private static partial Regex DefaultSentence();

    [GeneratedRegex(@"\bnull for\b")]
    private static partial Regex NullFor();

    [GeneratedRegex(@"\bnull\b")]
    private static partial Regex Null();
}
