using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using MlNetCnn.Cli.Data;
using SkiaSharp;

namespace MlNetCnn.Cli.Commands;

/// <summary>
/// <c>import-idx</c>: turns an MNIST-format pair of IDX files into a training folder of grayscale PNGs plus
/// <c>labels.csv</c>. Two digit classes are kept: <c>--negative</c> becomes Label false, <c>--positive</c> true.
/// </summary>
/// <remarks>
/// Selection, per class, in file order: the first <c>--skip S</c> images of that class are passed over, then the next
/// <c>--take K</c> are written (all the rest without <c>--take</c>). So <c>--take 500</c> and
/// <c>--skip 500 --take 200</c> give disjoint folders. Images go to <c>DIR/&lt;class&gt;/&lt;index&gt;.png</c>
/// (index = position in the IDX file), so the folder also reads as two class subfolders.
/// </remarks>
internal sealed class ImportIdxCommand
{
    /// <summary>The labels file every labelled folder carries.</summary>
    public const string LabelsFileName = "labels.csv";

    private readonly CliConsole console;
    private readonly Option<string> images = new("--images") { Description = "IDX images file (…-images-idx3-ubyte, plain or .gz).", Required = true };
    private readonly Option<string> labels = new("--labels") { Description = "IDX labels file (…-labels-idx1-ubyte, plain or .gz).", Required = true };
    private readonly Option<int> negative = new("--negative") { Description = "Class number written with Label false.", Required = true };
    private readonly Option<int> positive = new("--positive") { Description = "Class number written with Label true.", Required = true };
    private readonly Option<string> output = new("--out") { Description = "Folder to create; must not exist or be empty.", Required = true };
    private readonly Option<int?> take = new("--take") { Description = "Images to write per class, after skipping (default: all that remain)." };
    private readonly Option<int> skip = new("--skip") { Description = "Images of each class to pass over first, in file order.", DefaultValueFactory = _ => 0 };

    /// <summary>A command that writes through <paramref name="console"/>.</summary>
    public ImportIdxCommand(CliConsole console) => this.console = console;

    /// <summary>The System.CommandLine command.</summary>
    public Command Build()
    {
        var command = new Command("import-idx", "Write two classes of an MNIST-format IDX pair as PNG files plus labels.csv.")
        {
            images, labels, negative, positive, output, take, skip,
        };
        command.SetAction(parse => Run(
            parse.GetValue(images)!, parse.GetValue(labels)!, parse.GetValue(negative), parse.GetValue(positive),
            parse.GetValue(output)!, parse.GetValue(take), parse.GetValue(skip)));
        return command;
    }

    private int Run(string imagesPath, string labelsPath, int negativeClass, int positiveClass, string outPath, int? takeCount, int skipCount)
    {
        CheckOptions(negativeClass, positiveClass, takeCount, skipCount);
        var destination = Path.GetFullPath(outPath);
        if (Directory.Exists(destination) && Directory.EnumerateFileSystemEntries(destination).Any())
            throw new CliException($"The output folder '{outPath}' exists and is not empty; importing never overwrites. Remove it or choose another --out.");
        if (File.Exists(destination))
            throw new CliException($"The output path '{outPath}' is a file; --out needs a folder.");

        var imageFile = IdxFile.ReadImages(imagesPath);
        var labelFile = IdxFile.ReadLabels(labelsPath);
        if (imageFile.Count != labelFile.Count)
            throw new CliException($"'{imagesPath}' holds {imageFile.Count} images but '{labelsPath}' holds {labelFile.Count} labels; pass the two files of the same split.");

        var selected = Select(labelFile.Values, negativeClass, positiveClass, takeCount, skipCount);
        foreach (var cls in new[] { negativeClass, positiveClass })
        {
            if (!selected.Any(s => labelFile.Values[s] == cls))
                throw new CliException($"No image of class {cls} is left in '{labelsPath}' after skipping {skipCount} per class; check --negative/--positive and --skip.");
        }

        // Written beside the destination, then renamed into place: a failed import leaves nothing behind.
        var parent = Path.GetDirectoryName(destination)!;
        Directory.CreateDirectory(parent);
        var staging = Path.Combine(parent, $".{Path.GetFileName(destination)}.{Guid.NewGuid():N}.tmp");
        try
        {
            WriteFolder(staging, imageFile, labelFile.Values, selected, positiveClass);
            if (Directory.Exists(destination))
                Directory.Delete(destination);
            Directory.Move(staging, destination);
        }
        finally
        {
            if (Directory.Exists(staging))
                Directory.Delete(staging, recursive: true);
        }

        var negatives = selected.Count(s => labelFile.Values[s] == negativeClass);
        console.Out.WriteLine(
            $"Wrote {selected.Count} images of {imageFile.Dimensions[2]}×{imageFile.Dimensions[1]} pixels to {outPath}: " +
            $"{negatives} of class {negativeClass} (Label false), {selected.Count - negatives} of class {positiveClass} (Label true), " +
            $"after skipping {skipCount} per class; list in {Path.Combine(outPath, LabelsFileName)}.");
        return 0;
    }

    private static void CheckOptions(int negativeClass, int positiveClass, int? takeCount, int skipCount)
    {
        foreach (var (name, value) in new[] { ("--negative", negativeClass), ("--positive", positiveClass) })
        {
            if (value is < byte.MinValue or > byte.MaxValue)
                throw new CliException($"{name} {value} is not a class number; IDX labels are 0 to 255.");
        }
        if (negativeClass == positiveClass)
            throw new CliException($"--negative and --positive are both {negativeClass}; name two different classes.");
        if (takeCount is < 1)
            throw new CliException($"--take {takeCount} must be at least 1.");
        if (skipCount < 0)
            throw new CliException($"--skip {skipCount} must be 0 or more.");
    }

    /// <summary>Indices into the IDX file, in file order: per class, skip the first <paramref name="skipCount"/>, keep the next <paramref name="takeCount"/>.</summary>
    private static List<int> Select(byte[] labelValues, int negativeClass, int positiveClass, int? takeCount, int skipCount)
    {
        var seen = new Dictionary<int, int> { [negativeClass] = 0, [positiveClass] = 0 };
        var selected = new List<int>();
        for (var i = 0; i < labelValues.Length; i++)
        {
            int cls = labelValues[i];
            if (!seen.TryGetValue(cls, out var count))
                continue;
            seen[cls] = count + 1;
            if (count >= skipCount && (takeCount is null || count < skipCount + takeCount))
                selected.Add(i);
        }
        return selected;
    }

    private static void WriteFolder(string folder, IdxFile imageFile, byte[] labelValues, List<int> selected, int positiveClass)
    {
        Directory.CreateDirectory(folder);
        int rows = imageFile.Dimensions[1], columns = imageFile.Dimensions[2];
        var digits = Math.Max(5, (imageFile.Count - 1).ToString(CultureInfo.InvariantCulture).Length);
        var csv = new StringBuilder("ImagePath,Label\n");
        using var bitmap = new SKBitmap(new SKImageInfo(columns, rows, SKColorType.Gray8, SKAlphaType.Opaque));
        foreach (var index in selected)
        {
            int cls = labelValues[index];
            var relative = $"{cls}/{index.ToString(CultureInfo.InvariantCulture).PadLeft(digits, '0')}.png";
            var path = Path.Combine(folder, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var pixels = bitmap.GetPixels();
            for (var r = 0; r < rows; r++)
                Marshal.Copy(imageFile.Values, (index * rows + r) * columns, pixels + r * bitmap.RowBytes, columns);
            bitmap.NotifyPixelsChanged();
            using (var data = bitmap.Encode(SKEncodedImageFormat.Png, 100))
            using (var file = File.Create(path))
                data.SaveTo(file);
            csv.Append(relative).Append(',').Append(cls == positiveClass ? "true" : "false").Append('\n');
        }
        File.WriteAllText(Path.Combine(folder, LabelsFileName), csv.ToString());
    }
}
