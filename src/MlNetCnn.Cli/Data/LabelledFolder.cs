using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using SkiaSharp;

namespace MlNetCnn.Cli.Data;

/// <summary>
/// A folder of labelled images, in one of two forms: a <c>labels.csv</c> (<c>ImagePath,Label</c>, paths relative to
/// the folder and possibly in subfolders, Label true/false), or exactly two class subfolders, each read recursively
/// (the top-level folder names the class), of which <c>--positive</c> (or the model's classes) names the positive one.
/// Every other file is accounted for in <see cref="Ignored"/>.
/// </summary>
internal sealed class LabelledFolder
{
    /// <summary>Name of the list a labelled folder may carry.</summary>
    public const string LabelsFileName = "labels.csv";

    /// <summary>File extensions read as images.</summary>
    public static IReadOnlySet<string> ImageExtensions => FolderScan.ImageExtensions;

    private LabelledFolder(string path, IReadOnlyList<ImageRow> rows, string positiveName, string negativeName, bool named,
        IReadOnlyList<SkippedImage> skipped, IReadOnlyList<IgnoredFile> ignored, string? description = null)
    {
        Path = path;
        Rows = rows;
        PositiveName = positiveName;
        NegativeName = negativeName;
        HasClassNames = named;
        Skipped = skipped;
        Ignored = ignored;
        this.description = description;
    }

    private readonly string? description;

    /// <summary>The folder as given.</summary>
    public string Path { get; }

    /// <summary>Every image with its label, paths absolute; under <c>--skip-bad-images</c>, every image that can be read.</summary>
    public IReadOnlyList<ImageRow> Rows { get; }

    /// <summary>What Label true stands for: the positive subfolder's name, or "true".</summary>
    public string PositiveName { get; }

    /// <summary>What Label false stands for.</summary>
    public string NegativeName { get; }

    /// <summary>Whether the classes have names (class subfolders) rather than true/false (labels.csv).</summary>
    public bool HasClassNames { get; }

    /// <summary>Images left out because they cannot be read, in listing order; empty unless loaded with <c>skipBadImages</c>.</summary>
    public IReadOnlyList<SkippedImage> Skipped { get; }

    /// <summary>Files under the folder that are not used, with why: not images, in a hidden folder, or not listed in labels.csv.</summary>
    public IReadOnlyList<IgnoredFile> Ignored { get; }

    /// <summary>Images the folder lists: those in <see cref="Rows"/> plus those skipped.</summary>
    public int ListedCount => Rows.Count + Skipped.Count;

    /// <summary>Images labelled true.</summary>
    public int PositiveCount => Rows.Count(r => r.Label);

    /// <summary>The name of the class <paramref name="label"/> stands for.</summary>
    public string ClassOf(bool label) => label ? PositiveName : NegativeName;

    /// <summary>
    /// Reads <paramref name="folder"/>; <paramref name="positive"/> names the positive subfolder (class-subfolder form
    /// only). <paramref name="modelClasses"/> are the classes of the model the folder is measured with, when it knows
    /// them: they say which subfolder is positive, and a <paramref name="positive"/> or subfolders that contradict them
    /// are an error naming both. With <paramref name="skipBadImages"/>, an image that cannot be read (or a labels.csv row
    /// naming a missing file) is left out and listed in <see cref="Skipped"/> instead of stopping the load.
    /// </summary>
    /// <exception cref="CliException">
    /// The folder is missing or has no images; the classes cannot be told apart or contradict the model; an image cannot
    /// be decoded (without <paramref name="skipBadImages"/>); or skipping left no image at all, or none of a class that had some.
    /// </exception>
    public static LabelledFolder Load(string folder, string? positive, string role, bool skipBadImages, (string Positive, string Negative)? modelClasses = null)
    {
        if (!Directory.Exists(folder))
            throw new CliException(File.Exists(folder)
                ? $"The {role} folder '{folder}' is a file; pass a folder with labels.csv or two class subfolders."
                : $"The {role} folder '{folder}' does not exist.");
        // Without skipping, a missing file stops FromLabelsFile at its line; with it, the row comes back with its reason here.
        var missing = skipBadImages ? new Dictionary<ImageRow, string>() : null;
        var listed = File.Exists(System.IO.Path.Combine(folder, LabelsFileName))
            ? FromLabelsFile(folder, role, missing)
            : FromSubfolders(folder, positive, role, modelClasses);
        var rows = new List<ImageRow>();
        var skipped = new List<(ImageRow Row, string Reason)>();
        foreach (var row in listed.Rows)
        {
            var reason = missing is not null && missing.TryGetValue(row, out var absent) ? absent : CnnImageTransformer.CheckImage(row.ImagePath);
            if (reason is null)
                rows.Add(row);
            else if (skipBadImages)
                skipped.Add((row, reason));
            else
                throw new CliException(reason);
        }
        if (skipped.Count > 0)
            CheckSomethingLeft(listed, rows, skipped, role);
        return new LabelledFolder(folder, rows, listed.PositiveName, listed.NegativeName, listed.HasClassNames,
            skipped.Select(s => new SkippedImage(s.Row.ImagePath, s.Reason)).ToArray(), listed.Ignored);
    }

    /// <summary>
    /// Splits the folder's images into a training part and a held-out part of about <paramref name="fraction"/> of each
    /// class (at least one image of each class on each side), chosen at random with <paramref name="seed"/>; both keep
    /// their listing order.
    /// </summary>
    /// <exception cref="CliException">A class has fewer than two images, so it cannot be on both sides.</exception>
    public (LabelledFolder Train, LabelledFolder HeldOut) Split(double fraction, int seed)
    {
        var random = new Random(seed);
        var heldOut = new HashSet<ImageRow>();
        foreach (var label in new[] { true, false })
        {
            var members = Rows.Where(r => r.Label == label).ToArray();
            if (members.Length < 2)
                throw new CliException(string.Create(CultureInfo.InvariantCulture,
                    $"The training folder '{Path}' has {members.Length} image(s) of class '{ClassOf(label)}'; holding out a validation share needs at least 2 of each class (or pass --valid DIR)."));
            var take = Math.Clamp((int)Math.Round(fraction * members.Length), 1, members.Length - 1);
            random.Shuffle(members);
            heldOut.UnionWith(members.Take(take));
        }
        var percent = fraction.ToString("P0", CultureInfo.InvariantCulture).Replace(" ", "");
        var kept = Rows.Where(r => !heldOut.Contains(r)).ToArray();
        var held = Rows.Where(heldOut.Contains).ToArray();
        return (new LabelledFolder(Path, kept, PositiveName, NegativeName, HasClassNames, Skipped, Ignored, $"the other {100 - (int)Math.Round(100 * fraction)}% of"),
                new LabelledFolder(Path, held, PositiveName, NegativeName, HasClassNames, [], [], $"a held-out {percent} (stratified, seed {seed}) of"));
    }

    /// <summary>Throws, naming the file, unless <paramref name="path"/> decodes as an image, whole (<see cref="CnnImageTransformer.CheckImage"/>).</summary>
    public static void CheckDecodes(string path)
    {
        if (CnnImageTransformer.CheckImage(path) is { } reason)
            throw new CliException(reason);
    }

    /// <summary>
    /// True when <paramref name="path"/> decodes as an image, whole; otherwise false, with <paramref name="reason"/> the
    /// message <see cref="CheckDecodes"/> would throw.
    /// </summary>
    public static bool TryCheckDecodes(string path, [NotNullWhen(false)] out string? reason)
    {
        reason = CnnImageTransformer.CheckImage(path);
        return reason is null;
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
            var full = System.IO.Path.GetFullPath(System.IO.Path.Combine(folder, relative));
            var row = new ImageRow { ImagePath = FolderScan.Existing(full) ?? full, Label = label };
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
        var listedPaths = rows.Select(r => r.ImagePath).ToHashSet(StringComparer.Ordinal);
        var scan = FolderScan.Of(folder);
        var ignored = scan.Images.Where(p => !listedPaths.Contains(p)).Select(p => new IgnoredFile(p, $"not listed in {LabelsFileName}"))
            .Concat(scan.Ignored(except: csvPath))
            .OrderBy(f => f.Path, StringComparer.Ordinal).ToArray();
        return new LabelledFolder(folder, rows, "true", "false", named: false, [], ignored);
    }


    private static bool? ParseLabel(string text) => text.ToLowerInvariant() switch
    {
        "true" or "1" => true,
        "false" or "0" => false,
        _ => null,
    };

    private static LabelledFolder FromSubfolders(string folder, string? positive, string role, (string Positive, string Negative)? modelClasses)
    {
        var entries = Directory.GetDirectories(folder).OrderBy(d => d, StringComparer.Ordinal).ToArray();
        var classes = entries.Where(d => !System.IO.Path.GetFileName(d).StartsWith('.')).ToArray();
        var top = Directory.GetFiles(folder).OrderBy(f => f, StringComparer.Ordinal).ToArray();
        if (classes.Length == 0)
        {
            var loose = top.Count(FolderScan.IsImage);
            throw new CliException(loose == 0
                ? $"The {role} folder '{folder}' has no images: it needs a {LabelsFileName} or two class subfolders."
                : $"The {role} folder '{folder}' holds {loose} images but no labels: add a {LabelsFileName} (ImagePath,Label) or sort them into two class subfolders.");
        }
        var names = classes.Select(d => System.IO.Path.GetFileName(d)).ToArray();
        if (classes.Length != 2)
            throw new CliException($"The {role} folder '{folder}' has {classes.Length} subfolders ({string.Join(", ", names)}); a binary classifier needs exactly two, or a {LabelsFileName}.");
        var scans = classes.Select(FolderScan.Of).ToArray();
        for (var c = 0; c < classes.Length; c++)
        {
            if (scans[c].Images.Count == 0)
                throw new CliException($"The class folder '{classes[c]}' has no images ({string.Join(", ", ImageExtensions)}), in it or below it; both classes need examples.");
        }
        var positiveIndex = PositiveIndex(folder, names, positive, role, modelClasses);
        var rows = new List<ImageRow>();
        for (var c = 0; c < classes.Length; c++)
            rows.AddRange(scans[c].Images.Select(p => new ImageRow { ImagePath = p, Label = c == positiveIndex }));
        var ignored = top.Select(f => new IgnoredFile(System.IO.Path.GetFullPath(f), FolderScan.IsImage(f) ? "an image outside the class folders" : "not an image"))
            .Concat(entries.Except(classes).Select(d => new IgnoredFile(System.IO.Path.GetFullPath(d) + System.IO.Path.DirectorySeparatorChar, "a hidden folder")))
            .Concat(scans.SelectMany(scan => scan.Ignored()))
            .OrderBy(f => f.Path, StringComparer.Ordinal).ToArray();
        return new LabelledFolder(folder, rows, names[positiveIndex], names[1 - positiveIndex], named: true, [], ignored);
    }

    // Which of the two class folders is positive: --positive, else the model's positive class; the two must agree.
    private static int PositiveIndex(string folder, string[] names, string? positive, string role, (string Positive, string Negative)? modelClasses)
    {
        if (modelClasses is { } model)
        {
            var same = names.Order(StringComparer.Ordinal).SequenceEqual(new[] { model.Positive, model.Negative }.Order(StringComparer.Ordinal));
            if (!same)
                throw new CliException($"The model was trained on classes '{model.Positive}' (positive) and '{model.Negative}'; the {role} folder '{folder}' has class folders '{names[0]}' and '{names[1]}'. " +
                    $"Rename the folders to the model's classes, or use a {LabelsFileName} with true for '{model.Positive}'.");
            if (positive is not null && positive != model.Positive)
                throw new CliException($"--positive '{positive}' contradicts the model, whose positive class is '{model.Positive}' (negative '{model.Negative}'); " +
                    $"leave --positive out (the model says which is positive) or give --positive {model.Positive}.");
            positive = model.Positive;
        }
        if (positive is null)
            throw new CliException($"The {role} folder '{folder}' has class subfolders {names[0]} and {names[1]}; say which is positive with --positive {names[1]} (or --positive {names[0]}).");
        var index = Array.FindIndex(names, n => string.Equals(n, positive, StringComparison.Ordinal));
        if (index < 0)
            throw new CliException($"--positive '{positive}' is not a class folder of '{folder}'; its classes are {names[0]} and {names[1]}.");
        return index;
    }

    /// <summary>A one-line description: count and class balance, and how many unreadable images were skipped if any.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Rows.Count} images in {(description is null ? "" : description + " ")}{Path} ({PositiveCount} {PositiveName}, {Rows.Count - PositiveCount} {NegativeName}") +
        (Skipped.Count == 0 ? ")" : string.Create(CultureInfo.InvariantCulture, $"; {Skipped.Count} unreadable skipped)"));
}
