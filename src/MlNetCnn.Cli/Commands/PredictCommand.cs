using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using MlNetCnn.Cli.Data;

namespace MlNetCnn.Cli.Commands;

/// <summary>
/// <c>predict</c>: scores image files (and the images directly inside given folders) with a model.zip; one line per
/// image, or with <c>--json</c> a JSON array of {path, label, probability}. Probabilities are printed so that they
/// read back as the exact Single the model produced.
/// </summary>
internal sealed class PredictCommand
{
    private readonly CliConsole console;
    private readonly Option<string> model = new("--model") { Description = "The model.zip that train wrote.", Required = true };
    private readonly Option<bool> json = new("--json") { Description = "Write a JSON array of {\"path\", \"label\", \"probability\"} instead of lines." };
    private readonly Argument<string[]> paths = new("paths") { Description = "Image files, or folders whose images to score.", Arity = ArgumentArity.OneOrMore };

    /// <summary>A command that writes through <paramref name="console"/>.</summary>
    public PredictCommand(CliConsole console) => this.console = console;

    /// <summary>The System.CommandLine command.</summary>
    public Command Build()
    {
        var command = new Command("predict", "Score images with a trained model: path, predicted label, probability of the positive class.")
        {
            model, json, paths,
        };
        command.SetAction(parse => Run(parse.GetValue(model)!, parse.GetValue(paths)!, parse.GetValue(json)));
        return command;
    }

    private int Run(string modelPath, string[] inputs, bool asJson)
    {
        var images = Expand(inputs);
        var ml = new MLContext(TrainCommand.DefaultSeed);
        var loaded = ImagePipeline.LoadModel(ml, modelPath);
        try
        {
            var rows = images.Select(p => new ImageRow { ImagePath = Path.GetFullPath(p) }).ToArray();
            var scored = loaded.Transform(ImagePipeline.Load(ml, rows));
            var results = ml.Data.CreateEnumerable<ScoredRow>(scored, reuseRowObject: false).ToArray();
            var probabilities = results.Select(r => r.Probability).ToArray();
            var labels = results.Select(r => r.PredictedLabel).ToArray();
            if (asJson)
                WriteJson(images, labels, probabilities);
            else
            {
                for (var i = 0; i < images.Count; i++)
                    console.Out.WriteLine($"{images[i]}\t{(labels[i] ? "true" : "false")}\t{probabilities[i].ToString("R", CultureInfo.InvariantCulture)}");
            }
            return CliApp.Success;
        }
        finally
        {
            (loaded as IDisposable)?.Dispose();
        }
    }

    private void WriteJson(IReadOnlyList<string> images, bool[] labels, float[] probabilities)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartArray();
            for (var i = 0; i < images.Count; i++)
            {
                writer.WriteStartObject();
                writer.WriteString("path", images[i]);
                writer.WriteBoolean("label", labels[i]);
                // Utf8JsonWriter writes a Single in its shortest round-trip form.
                writer.WriteNumber("probability", probabilities[i]);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
        console.Out.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }

    /// <summary>The files to score: each file as given, and each folder's images (not its subfolders), in name order.</summary>
    private static List<string> Expand(string[] inputs)
    {
        var images = new List<string>();
        foreach (var input in inputs)
        {
            if (Directory.Exists(input))
            {
                var found = LabelledFolder.ImagesIn(input);
                if (found.Length == 0)
                    throw new CliException($"The folder '{input}' has no images ({string.Join(", ", LabelledFolder.ImageExtensions)}) directly inside it.");
                images.AddRange(found);
            }
            else if (File.Exists(input))
                images.Add(input);
            else
                throw new CliException($"'{input}' is neither an image file nor a folder.");
        }
        foreach (var image in images)
            LabelledFolder.CheckDecodes(image);
        return images;
    }
}
