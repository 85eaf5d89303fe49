using System.Text;

namespace MlNetCnn.Cli.Data;

/// <summary>
/// Every file under a folder, recursively, sorted into images (by extension, any case) and the rest, so that a command
/// can use the one and name the other: nothing is dropped unseen. Hidden folders (".git", ".thumbnails") are not
/// entered; they are listed with the rest.
/// </summary>
internal sealed class FolderScan
{
    /// <summary>File extensions read as images (what SkiaSharp decodes), compared without regard to case.</summary>
    public static readonly IReadOnlySet<string> ImageExtensions =
        new HashSet<string>(StringComparer.OrdinalIgnoreCase) { ".png", ".jpg", ".jpeg", ".jfif", ".bmp", ".gif", ".webp", ".ico", ".wbmp" };

    private FolderScan(IReadOnlyList<string> images, IReadOnlyList<string> others)
    {
        Images = images;
        Others = others;
    }

    /// <summary>Image files, full paths, in ordinal order of their path.</summary>
    public IReadOnlyList<string> Images { get; }

    /// <summary>Files that are not images and hidden folders (ending in '/'), full paths, in ordinal order.</summary>
    public IReadOnlyList<string> Others { get; }

    /// <summary>
    /// <see cref="Others"/> with why each is not used ("not an image", "a hidden folder"), leaving out
    /// <paramref name="except"/> (a full path, e.g. the folder's labels.csv).
    /// </summary>
    public IEnumerable<IgnoredFile> Ignored(string? except = null) =>
        Others.Where(p => except is null || !string.Equals(p, Path.GetFullPath(except), StringComparison.Ordinal))
            .Select(p => new IgnoredFile(p, p.EndsWith(Path.DirectorySeparatorChar) ? "a hidden folder" : "not an image"));

    /// <summary>Whether <paramref name="path"/>'s extension is an image's.</summary>
    public static bool IsImage(string path) => ImageExtensions.Contains(Path.GetExtension(path));

    /// <summary>Scans <paramref name="folder"/> and everything below it (hidden folders aside).</summary>
    public static FolderScan Of(string folder)
    {
        var images = new List<string>();
        var others = new List<string>();
        Walk(Path.GetFullPath(folder), images, others);
        images.Sort(StringComparer.Ordinal);
        others.Sort(StringComparer.Ordinal);
        return new FolderScan(images, others);
    }

    private static void Walk(string folder, List<string> images, List<string> others)
    {
        foreach (var file in Directory.EnumerateFiles(folder))
            (IsImage(file) ? images : others).Add(file);
        foreach (var sub in Directory.EnumerateDirectories(folder))
        {
            if (Path.GetFileName(sub).StartsWith('.'))
                others.Add(sub + Path.DirectorySeparatorChar);
            else
                Walk(sub, images, others);
        }
    }

    /// <summary>
    /// <paramref name="path"/> as it exists on disk: itself, or a file of the same folder whose name is the same text in
    /// another Unicode normalisation (a name typed as "é" in labels.csv, stored decomposed by macOS); null when neither exists.
    /// </summary>
    public static string? Existing(string path)
    {
        if (File.Exists(path))
            return path;
        var folder = Path.GetDirectoryName(path);
        if (folder is null || !Directory.Exists(folder))
            return null;
        var wanted = Path.GetFileName(path).Normalize(NormalizationForm.FormC);
        return Directory.EnumerateFiles(folder).FirstOrDefault(f => string.Equals(Path.GetFileName(f).Normalize(NormalizationForm.FormC), wanted, StringComparison.Ordinal));
    }
}
