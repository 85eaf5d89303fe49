using System.Globalization;
using MlNetCnn.Cli.Data;

namespace MlNetCnn.Cli.Reporting;

/// <summary>The one line a command prints on standard error for the files of a folder it did not use.</summary>
internal static class IgnoredNote
{
    /// <summary>Files named in the line; the rest are counted.</summary>
    public const int Named = 5;

    /// <summary>
    /// Writes <c>mlnetcnn: note: ignored N files in the &lt;role&gt; folder 'DIR': a.txt (not an image), …</c> to
    /// <paramref name="error"/>, unless <paramref name="ignored"/> is empty; names are relative to <paramref name="folder"/>.
    /// </summary>
    public static void Write(TextWriter error, IReadOnlyList<IgnoredFile> ignored, string folder, string role, string? listedIn)
    {
        if (ignored.Count == 0)
            return;
        var root = Path.GetFullPath(folder);
        var named = string.Join(", ", ignored.Take(Named).Select(f => $"{Path.GetRelativePath(root, f.Path.TrimEnd(Path.DirectorySeparatorChar))}{(f.Path.EndsWith(Path.DirectorySeparatorChar) ? "/" : "")} ({f.Reason})"));
        var rest = ignored.Count > Named
            ? string.Create(CultureInfo.InvariantCulture, $" … and {ignored.Count - Named} more{(listedIn is null ? "" : $" ({listedIn})")}")
            : "";
        error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"mlnetcnn: note: ignored {ignored.Count} {(ignored.Count == 1 ? "file" : "files")} in the {role} folder '{folder}': {named}{rest}."));
    }
}
