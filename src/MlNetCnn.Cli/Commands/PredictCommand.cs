using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using MlNetCnn.Cli.Data;
using MlNetCnn.Cli.Reporting;

namespace MlNetCnn.Cli.Commands;

/// <summary>
/// <c>predict</c>: scores image files and the images in given folders (and their subfolders) with a model.zip; one
/// line per image (path, predicted class, probability), or with <c>--json</c> a JSON array of {path, label, probability,
/// class}. The class is the model's class name (a class folder it was trained on), or true/false for a model that has
/// none. Probabilities are printed so that they read back as the exact Single the model produced. With <c>--skip-bad-images</c>, an image that cannot be read is
/// not scored: it gets a line <c>path TAB skipped TAB reason</c>, or in JSON an entry {path, error}, in its place.
/// </summary>
internal sealed class PredictCommand
{
    /// <summary>The second field of a line for an image that <c>--skip-bad-images</c> left out, where a label would be.</summary>
    public const string SkippedField = "skipped";

    private readonly CliConsole console;
    private readonly Option<string> model = new("--model") { Description = "The model.zip that train wrote.", Required = true };
    private readonly Option<bool> json = new("--json")
    {
        Description = "Write a JSON array of {\"path\", \"label\", \"probability\", \"class\"} instead of lines ({\"path\", \"error\"} for an image --skip-bad-images left out).",
    };
    private readonly Option<bool> skipBadImages = CommonOptions.SkipBadImages();
    private readonly Option<ScoringEngine?> engine = CommonOptions.Engine();
    private readonly Option<int?> scoringThreads = CommonOptions.ScoringThreads();
    private readonly Argument<string[]> paths = new("paths") { Description = "Image files, folders (their images are scored, subfolders included), or a mix.", Arity = ArgumentArity.OneOrMore };

    /// <summary>A command that writes through <paramref name="console"/>.</summary>
    public PredictCommand(CliConsole console) => this.console = console;

    /// <summary>The System.CommandLine command.</summary>
    public Command Build()
    {
        var command = new Command("predict", "Score images with a trained model: path, predicted label, probability of the positive class.")
        {
            model, json, skipBadImages, engine, scoringThreads, paths,
        };
        command.SetAction(parse => Run(parse.GetValue(model)!, parse.GetValue(paths)!, parse.GetValue(json), parse.GetValue(skipBadImages),
            parse.GetValue(engine), parse.GetValue(scoringThreads)));
        return command;
    }

    private int Run(string modelPath, string[] inputs, bool asJson, bool skip, ScoringEngine? engineName, int? threads)
    {
        var images = Expand(inputs);
        var reasons = CheckImages(images, skip);
        var ml = new MLContext(TrainCommand.DefaultSeed);
        using var scoring = CommonOptions.LoadForScoring(ml, modelPath, engineName, threads);
        var loaded = scoring.Model;
        var cnn = loaded.FindCnn();
        var skipped = images.Select((p, i) => reasons[i] is { } reason ? new SkippedImage(p, reason) : null).OfType<SkippedImage>().ToArray();
        SkipWarning.Write(console.Error, skipped, images.Count, "images", "each has its place in the output");
        var readable = images.Where((_, i) => reasons[i] is null).ToArray();
        var rows = readable.Select(p => new ImageRow { ImagePath = Path.GetFullPath(p) }).ToArray();
        var scored = loaded.Transform(ImagePipeline.Load(ml, rows));
        var results = ml.Data.CreateEnumerable<ScoredRow>(scored, reuseRowObject: false).ToArray();
        if (results.Length != rows.Length)
            throw new InvalidOperationException($"The model scored {results.Length} of {rows.Length} images.");
        if (asJson)
            WriteJson(images, reasons, results, cnn);
        else
            WriteLines(images, reasons, results, cnn);
        return CliApp.Success;
    }

    /// <summary>
    /// Checks that every image decodes: throws at the first that does not, or under <paramref name="skip"/> returns why
    /// each one does not (null for those that do), failing only when none does.
    /// </summary>
    private static string?[] CheckImages(IReadOnlyList<string> images, bool skip)
    {
        var reasons = ImageCheck.Reasons(images, skip);
        if (images.Count > 0 && reasons.All(r => r is not null))
            throw new CliException(string.Create(CultureInfo.InvariantCulture,
                $"Every image was skipped: none of the {images.Count} given can be read, so there is nothing to score. The first: {reasons[0]}"));
        return reasons;
    }

    // Input order throughout; results holds the scores of the readable images only, in the same order.
    private void WriteLines(IReadOnlyList<string> images, string?[] reasons, ScoredRow[] results, CnnTransformer cnn)
    {
        var next = 0;
        for (var i = 0; i < images.Count; i++)
        {
            if (reasons[i] is { } reason)
            {
                console.Out.WriteLine($"{images[i]}\t{SkippedField}\t{reason}");
                continue;
            }
            var r = results[next++];
            console.Out.WriteLine($"{images[i]}\t{cnn.ClassOf(r.PredictedLabel)}\t{r.Probability.ToString("R", CultureInfo.InvariantCulture)}");
        }
    }

    private void WriteJson(IReadOnlyList<string> images, string?[] reasons, ScoredRow[] results, CnnTransformer cnn)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartArray();
            var next = 0;
            for (var i = 0; i < images.Count; i++)
            {
                writer.WriteStartObject();
                writer.WriteString("path", images[i]);
                if (reasons[i] is { } reason)
                    writer.WriteString("error", reason);
                else
                {
                    var r = results[next++];
                    writer.WriteBoolean("label", r.PredictedLabel);
                    // Utf8JsonWriter writes a Single in its shortest round-trip form.
                    writer.WriteNumber("probability", r.Probability);
                    writer.WriteString("class", cnn.ClassOf(r.PredictedLabel));
                }
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
        console.Out.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }

    /// <summary>
    /// The files to score: each file as given, and each folder's images, subfolders included, in path order; a folder's
    /// other files are named in one note line on standard error.
    /// </summary>
    private List<string> Expand(string[] inputs)
    {
        var images = new List<string>();
        foreach (var input in inputs)
        {
            if (Directory.Exists(input))
            {
                var scan = FolderScan.Of(input);
                if (scan.Images.Count == 0)
                    throw new CliException($"The folder '{input}' has no images ({string.Join(", ", FolderScan.ImageExtensions)}), in it or below it.");
                var root = Path.GetFullPath(input);
                // Paths as the user wrote the folder, so the output lines up with the command line.
                images.AddRange(scan.Images.Select(p => Path.Combine(input, Path.GetRelativePath(root, p))));
                IgnoredNote.Write(console.Error, scan.Ignored().ToArray(), input, "given", listedIn: null);
            }
            else if (File.Exists(input))
                images.Add(input);
            else
                throw new CliException($"'{input}' is neither an image file nor a folder.");
        }
        return images;
    }
}
