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
        IReadOnlyList<SkippedImage> skipped, IReadOnlyList<IgnoredFile> ignored, string? description = null, IReadOnlyDictionary<ImageRow, string>? missing = null)
    {
        Path = path;
        Rows = rows;
        PositiveName = positiveName;
        NegativeName = negativeName;
        HasClassNames = named;
        Skipped = skipped;
        Ignored = ignored;
        this.description = description;
        this.missing = missing ?? new Dictionary<ImageRow, string>();
    }

    private readonly string? description;

    // Under --skip-bad-images, the labels.csv rows that name a missing file, with the error they would have stopped the load with.
    private readonly IReadOnlyDictionary<ImageRow, string> missing;

    /// <summary>The folder as given.</summary>
    public string Path { get; }

    /// <summary>
    /// Every image with its label, paths absolute, in listing order. As loaded, every image listed (under
    /// <c>--skip-bad-images</c>, those of labels.csv rows naming a missing file too); after <see cref="LeaveOut"/>, the readable ones.
    /// </summary>
    public IReadOnlyList<ImageRow> Rows { get; }

    /// <summary>What Label true stands for: the positive subfolder's name, or "true".</summary>
    public string PositiveName { get; }

    /// <summary>What Label false stands for.</summary>
    public string NegativeName { get; }

    /// <summary>Whether the classes have names (class subfolders) rather than true/false (labels.csv).</summary>
    public bool HasClassNames { get; }

    /// <summary>Images left out because they cannot be read, in listing order (see <see cref="LeaveOut"/>); empty unless skipping.</summary>
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
    /// Lists <paramref name="folder"/>; <paramref name="positive"/> names the positive subfolder (class-subfolder form
    /// only). <paramref name="modelClasses"/> are the classes of the model the folder is measured with, when it knows
    /// them: they say which subfolder is positive, and a <paramref name="positive"/> or subfolders that contradict them
    /// are an error naming both. Images are not opened here: <see cref="LeaveOut"/> takes what the reader of the images
    /// found. With <paramref name="skipBadImages"/>, a labels.csv row naming a missing file is kept for
    /// <see cref="LeaveOut"/> to leave out with its reason, instead of stopping the load.
    /// </summary>
    /// <exception cref="CliException">The folder is missing or has no images; the classes cannot be told apart or contradict the model.</exception>
    public static LabelledFolder Load(string folder, string? positive, string role, bool skipBadImages, (string Positive, string Negative)? modelClasses = null)
    {
        if (!Directory.Exists(folder))
            throw new CliException(File.Exists(folder)
                ? $"The {role} folder '{folder}' is a file; pass a folder with labels.csv or two class subfolders."
                : $"The {role} folder '{folder}' does not exist.");
        // Without skipping, a missing file stops FromLabelsFile at its line; with it, the row comes back with its reason here.
        var missing = skipBadImages ? new Dictionary<ImageRow, string>() : null;
        return File.Exists(System.IO.Path.Combine(folder, LabelsFileName))
            ? FromLabelsFile(folder, role, missing)
            : FromSubfolders(folder, positive, role, modelClasses);
    }

    /// <summary>
    /// The folder without the images that cannot be read: <paramref name="reasons"/> holds, for each of <see cref="Rows"/>,
    /// the error it cannot be read with (null for one that can); a labels.csv row naming a missing file keeps its own.
    /// Without <paramref name="skip"/>, the first such image stops the command; with it, they go to <see cref="Skipped"/>.
    /// </summary>
    /// <exception cref="CliException">
    /// An image cannot be read (without <paramref name="skip"/>), or skipping left no image at all, or none of a class that had some.
    /// </exception>
    public LabelledFolder LeaveOut(IReadOnlyList<string?> reasons, bool skip, string role)
    {
        if (reasons.Count != Rows.Count)
            throw new ArgumentException($"{reasons.Count} reasons for {Rows.Count} images.", nameof(reasons));
        var rows = new List<ImageRow>();
        var skipped = new List<(ImageRow Row, string Reason)>();
        for (var i = 0; i < Rows.Count; i++)
        {
            var reason = missing.TryGetValue(Rows[i], out var absent) ? absent : reasons[i];
            if (reason is null)
                rows.Add(Rows[i]);
            else if (skip)
                skipped.Add((Rows[i], reason));
            else
                throw new CliException(reason);
        }
        if (skipped.Count > 0)
            CheckSomethingLeft(rows, skipped, role);
        return new LabelledFolder(Path, rows, PositiveName, NegativeName, HasClassNames,
            [.. Skipped, .. skipped.Select(s => new SkippedImage(s.Row.ImagePath, s.Reason))], Ignored, description);
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
        return (new LabelledFolder(Path, kept, PositiveName, NegativeName, HasClassNames, Skipped, Ignored, $"the other {100 - (int)Math.Round(100 * fraction)}% of", missing),
                new LabelledFolder(Path, held, PositiveName, NegativeName, HasClassNames, [], [], $"a held-out {percent} (stratified, seed {seed}) of", missing));
    }

    // Skipping must not leave a folder empty, nor a class that had images without any: training on one class, or
    // measuring on one, would go on silently wrong.
    private void CheckSomethingLeft(List<ImageRow> rows, List<(ImageRow Row, string Reason)> skipped, string role)
    {
        if (rows.Count == 0)
            throw new CliException(string.Create(CultureInfo.InvariantCulture,
                $"Every image of the {role} folder '{Path}' was skipped: none of its {skipped.Count} images can be read. The first: {skipped[0].Reason}"));
        foreach (var label in new[] { true, false })
        {
            var had = Rows.Count(r => r.Label == label);
            if (had > 0 && !rows.Any(r => r.Label == label))
                throw new CliException(string.Create(CultureInfo.InvariantCulture,
                    $"Every image of class '{ClassOf(label)}' in the {role} folder '{Path}' was skipped " +
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
        return new LabelledFolder(folder, rows, "true", "false", named: false, [], ignored, missing: missing);
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
