using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using SkiaSharp;

namespace MlNetCnn.Cli.Data;

/// <summary>
/// A folder of labelled images, in one of two forms: a <c>labels.csv</c> (<c>ImagePath,Label</c>, paths relative to
/// the folder, Label true/false), or exactly two class subfolders of which <c>--positive</c> names the positive one.
/// </summary>
internal sealed class LabelledFolder
{
    /// <summary>Name of the list a labelled folder may carry.</summary>
    public const string LabelsFileName = "labels.csv";

    /// <summary>File extensions read as images (what ML.NET's SkiaSharp loader decodes).</summary>
    public static readonly IReadOnlySet<string> ImageExtensions =
        new HashSet<string>(StringComparer.OrdinalIgnoreCase) { ".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp" };

    private LabelledFolder(string path, IReadOnlyList<ImageRow> rows, string positiveName, string negativeName, IReadOnlyList<SkippedImage> skipped)
    {
        Path = path;
        Rows = rows;
        PositiveName = positiveName;
        NegativeName = negativeName;
        Skipped = skipped;
    }

    /// <summary>The folder as given.</summary>
    public string Path { get; }

    /// <summary>Every image with its label, paths absolute; under <c>--skip-bad-images</c>, every image that can be read.</summary>
    public IReadOnlyList<ImageRow> Rows { get; }

    /// <summary>What Label true stands for: the positive subfolder's name, or "true".</summary>
    public string PositiveName { get; }

    /// <summary>What Label false stands for.</summary>
    public string NegativeName { get; }

    /// <summary>Images left out because they cannot be read, in listing order; empty unless loaded with <c>skipBadImages</c>.</summary>
    public IReadOnlyList<SkippedImage> Skipped { get; }

    /// <summary>Images the folder lists: those in <see cref="Rows"/> plus those skipped.</summary>
    public int ListedCount => Rows.Count + Skipped.Count;

    /// <summary>Images labelled true.</summary>
    public int PositiveCount => Rows.Count(r => r.Label);

    /// <summary>
    /// Reads <paramref name="folder"/>; <paramref name="positive"/> names the positive subfolder (class-subfolder form only).
    /// With <paramref name="skipBadImages"/>, an image that cannot be read (or a labels.csv row naming a missing file) is
    /// left out and listed in <see cref="Skipped"/> instead of stopping the load.
    /// </summary>
    /// <exception cref="CliException">
    /// The folder is missing or has no images; an image cannot be decoded (without <paramref name="skipBadImages"/>); or
    /// skipping left no image at all, or none of a class that had some.
    /// </exception>
    public static LabelledFolder Load(string folder, string? positive, string role, bool skipBadImages)
    {
        if (!Directory.Exists(folder))
            throw new CliException(File.Exists(folder)
                ? $"The {role} folder '{folder}' is a file; pass a folder with labels.csv or two class subfolders."
                : $"The {role} folder '{folder}' does not exist.");
        // Without skipping, a missing file stops FromLabelsFile at its line; with it, the row comes back with its reason here.
        var missing = skipBadImages ? new Dictionary<ImageRow, string>() : null;
        var listed = File.Exists(System.IO.Path.Combine(folder, LabelsFileName))
            ? FromLabelsFile(folder, role, missing)
            : FromSubfolders(folder, positive, role);
        var rows = new List<ImageRow>();
        var skipped = new List<(ImageRow Row, string Reason)>();
        foreach (var row in listed.Rows)
        {
            Exception? cause = null;
            var reason = missing is not null && missing.TryGetValue(row, out var absent) ? absent : DecodeProblem(row.ImagePath, out cause);
            if (reason is null)
                rows.Add(row);
            else if (skipBadImages)
                skipped.Add((row, reason));
            else
                throw new CliException(reason, cause);
        }
        if (skipped.Count > 0)
            CheckSomethingLeft(listed, rows, skipped, role);
        return new LabelledFolder(folder, rows, listed.PositiveName, listed.NegativeName,
            skipped.Select(s => new SkippedImage(s.Row.ImagePath, s.Reason)).ToArray());
    }

    /// <summary>Throws, naming the file, unless <paramref name="path"/> decodes as an image, whole.</summary>
    /// <remarks>
    /// SKBitmap.Decode (and so ML.NET's LoadImages) accepts a truncated PNG and fills the missing rows with zeros; the
    /// codec reports it as incomplete input, so this check decodes through the codec and refuses anything short of success.
    /// </remarks>
    public static void CheckDecodes(string path)
    {
        if (DecodeProblem(path, out var cause) is { } reason)
            throw new CliException(reason, cause);
    }

    /// <summary>
    /// True when <paramref name="path"/> decodes as an image, whole; otherwise false, with <paramref name="reason"/> the
    /// message <see cref="CheckDecodes"/> would throw.
    /// </summary>
    public static bool TryCheckDecodes(string path, [NotNullWhen(false)] out string? reason)
    {
        reason = DecodeProblem(path, out _);
        return reason is null;
    }

    // The one decoding check: null when the image decodes whole, else what is wrong with it, naming the file
    // (and the exception behind it, when there is one).
    private static string? DecodeProblem(string path, out Exception? cause)
    {
        cause = null;
        FileStream file;
        try
        {
            file = File.OpenRead(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            cause = e;
            return $"The image '{path}' cannot be opened: {e.Message}";
        }
        var kind = System.IO.Path.GetExtension(path).TrimStart('.').ToUpperInvariant();
        using (file)
        {
            if (file.Length == 0)
                return $"The image '{path}' is empty (0 bytes). Replace or remove it.";
            using var codec = SKCodec.Create(file, out var opened);
            if (codec is null || codec.Info.Width < 1 || codec.Info.Height < 1)
                return $"The image '{path}' cannot be read: it is not a valid {kind} image or any format SkiaSharp decodes ({opened}). Replace or remove it.";
            var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
            using var bitmap = new SKBitmap();
            if (!bitmap.TryAllocPixels(info))
                return $"The image '{path}' is {info.Width}×{info.Height} pixels, too large to decode in memory. Shrink or remove it.";
            var result = codec.GetPixels(info, bitmap.GetPixels());
            if (result != SKCodecResult.Success)
                return result == SKCodecResult.IncompleteInput
                    ? $"The image '{path}' cannot be read: it is truncated (the {codec.EncodedFormat} data ends before the last row of its {info.Width}×{info.Height} pixels). Replace or remove it."
                    : $"The image '{path}' cannot be read: decoding it as {codec.EncodedFormat} failed ({result}). Replace or remove it.";
        }
        return null;
    }

    // Skipping must not leave a folder empty, nor a class that had images without any: training on one class, or
    // measuring on one, would go on silently wrong.
    private static void CheckSomethingLeft(LabelledFolder listed, List<ImageRow> rows, List<(ImageRow Row, string Reason)> skipped, string role)
    {
        if (rows.Count == 0)
            throw new CliException(string.Create(CultureInfo.InvariantCulture,
                $"Every image of the {role} folder '{listed.Path}' was skipped: none of its {skipped.Count} images can be read. The first: {skipped[0].Reason}"));
        foreach (var label in new[] { true, false })
        {
            var had = listed.Rows.Count(r => r.Label == label);
            if (had > 0 && !rows.Any(r => r.Label == label))
                throw new CliException(string.Create(CultureInfo.InvariantCulture,
                    $"Every image of class '{(label ? listed.PositiveName : listed.NegativeName)}' in the {role} folder '{listed.Path}' was skipped " +
                    $"({had} of {had} cannot be read); both classes need examples. The first: {skipped.First(s => s.Row.Label == label).Reason}"));
        }
    }

    // A row naming a missing file throws, unless missing is given: then the row is kept and its reason recorded there.
    private static LabelledFolder FromLabelsFile(string folder, string role, Dictionary<ImageRow, string>? missing)
    {
        var csvPath = System.IO.Path.Combine(folder, LabelsFileName);
        var lines = File.ReadAllLines(csvPath);
        if (lines.Length == 0 || !string.Equals(lines[0].Replace(" ", ""), "ImagePath,Label", StringComparison.OrdinalIgnoreCase))
            throw new CliException($"'{csvPath}' must start with the header 'ImagePath,Label'; found '{lines.FirstOrDefault()}'.");
        var rows = new List<ImageRow>();
        for (var i = 1; i < lines.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i]))
                continue;
            var cut = lines[i].LastIndexOf(',');
            if (cut <= 0)
                throw new CliException($"Line {i + 1} of '{csvPath}' is '{lines[i]}'; it needs 'path,true' or 'path,false'.");
            var relative = lines[i][..cut].Trim().Trim('"');
            var label = ParseLabel(lines[i][(cut + 1)..].Trim())
                ?? throw new CliException($"Line {i + 1} of '{csvPath}' has label '{lines[i][(cut + 1)..].Trim()}'; use true or false (or 1 or 0).");
            var row = new ImageRow { ImagePath = System.IO.Path.GetFullPath(System.IO.Path.Combine(folder, relative)), Label = label };
            if (!File.Exists(row.ImagePath))
            {
                var reason = $"Line {i + 1} of '{csvPath}' names '{relative}', which does not exist in '{folder}'.";
                if (missing is null)
                    throw new CliException(reason);
                missing.Add(row, reason);
            }
            rows.Add(row);
        }
        if (rows.Count == 0)
            throw new CliException($"The {role} folder '{folder}' has no images: '{LabelsFileName}' lists none.");
        return new LabelledFolder(folder, rows, "true", "false", []);
    }

    private static bool? ParseLabel(string text) => text.ToLowerInvariant() switch
    {
        "true" or "1" => true,
        "false" or "0" => false,
        _ => null,
    };

    private static LabelledFolder FromSubfolders(string folder, string? positive, string role)
    {
        var classes = Directory.GetDirectories(folder)
            .Where(d => !System.IO.Path.GetFileName(d).StartsWith('.'))
            .OrderBy(d => d, StringComparer.Ordinal)
            .ToArray();
        if (classes.Length == 0)
        {
            var loose = ImagesIn(folder).Length;
            throw new CliException(loose == 0
                ? $"The {role} folder '{folder}' has no images: it needs a {LabelsFileName} or two class subfolders."
                : $"The {role} folder '{folder}' holds {loose} images but no labels: add a {LabelsFileName} (ImagePath,Label) or sort them into two class subfolders.");
        }
        var names = classes.Select(d => System.IO.Path.GetFileName(d)).ToArray();
        if (classes.Length != 2)
            throw new CliException($"The {role} folder '{folder}' has {classes.Length} subfolders ({string.Join(", ", names)}); a binary classifier needs exactly two, or a {LabelsFileName}.");
        foreach (var cls in classes)
        {
            if (ImagesIn(cls).Length == 0)
                throw new CliException($"The class folder '{cls}' has no images ({string.Join(", ", ImageExtensions)}); both classes need examples.");
        }
        if (positive is null)
            throw new CliException($"The {role} folder '{folder}' has class subfolders {names[0]} and {names[1]}; say which is positive with --positive {names[1]} (or --positive {names[0]}).");
        var positiveIndex = Array.FindIndex(names, n => string.Equals(n, positive, StringComparison.Ordinal));
        if (positiveIndex < 0)
            throw new CliException($"--positive '{positive}' is not a class folder of '{folder}'; its classes are {names[0]} and {names[1]}.");

        var rows = new List<ImageRow>();
        for (var c = 0; c < classes.Length; c++)
            rows.AddRange(ImagesIn(classes[c]).Select(p => new ImageRow { ImagePath = System.IO.Path.GetFullPath(p), Label = c == positiveIndex }));
        return new LabelledFolder(folder, rows, names[positiveIndex], names[1 - positiveIndex], []);
    }

    /// <summary>Image files directly in <paramref name="folder"/>, in ordinal name order.</summary>
    public static string[] ImagesIn(string folder) =>
        Directory.GetFiles(folder)
            .Where(f => ImageExtensions.Contains(System.IO.Path.GetExtension(f)))
            .OrderBy(f => f, StringComparer.Ordinal)
            .ToArray();

    /// <summary>A one-line description: count and class balance, and how many unreadable images were skipped if any.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Rows.Count} images in {Path} ({PositiveCount} {PositiveName}, {Rows.Count - PositiveCount} {NegativeName}") +
        (Skipped.Count == 0 ? ")" : string.Create(CultureInfo.InvariantCulture, $"; {Skipped.Count} unreadable skipped)"));
}
