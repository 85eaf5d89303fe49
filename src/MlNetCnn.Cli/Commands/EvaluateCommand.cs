using System.CommandLine;
using System.Globalization;
using Microsoft.ML;
using MlNetCnn.Cli.Data;
using MlNetCnn.Cli.Output;
using MlNetCnn.Cli.Reporting;

namespace MlNetCnn.Cli.Commands;

/// <summary>
/// <c>evaluate</c>: scores a labelled folder with a model.zip; prints the metrics and writes roc.png, errors.png and
/// metrics.json. On class subfolders, a model that knows its classes says which is positive.
/// </summary>
internal sealed class EvaluateCommand
{
    private readonly CliConsole console;
    private readonly Option<string> model = new("--model") { Description = "The model.zip that train wrote.", Required = true };
    private readonly Option<string> data = new("--data") { Description = "Labelled folder: labels.csv or two class subfolders (read recursively).", Required = true };
    private readonly Option<string> output = new("--out") { Description = "Folder for roc.png, errors.png and metrics.json.", DefaultValueFactory = _ => TrainCommand.DefaultOutFolder };
    private readonly Option<string?> positive = CommonOptions.Positive();
    private readonly Option<bool> skipBadImages = CommonOptions.SkipBadImages();
    private readonly Option<ScoringEngine?> engine = CommonOptions.Engine();
    private readonly Option<int?> scoringThreads = CommonOptions.ScoringThreads();

    /// <summary>A command that writes through <paramref name="console"/>.</summary>
    public EvaluateCommand(CliConsole console) => this.console = console;

    /// <summary>The System.CommandLine command.</summary>
    public Command Build()
    {
        var command = new Command("evaluate", "Measure a trained model on a labelled folder: metrics, confusion matrix, roc.png, metrics.json.")
        {
            model, data, output, positive, skipBadImages, engine, scoringThreads,
        };
        command.SetAction(parse => Run(parse.GetValue(model)!, parse.GetValue(data)!, parse.GetValue(output)!, parse.GetValue(positive), parse.GetValue(skipBadImages),
            parse.GetValue(engine), parse.GetValue(scoringThreads)));
        return command;
    }

    private int Run(string modelPath, string dataPath, string outPath, string? positiveName, bool skip, ScoringEngine? engineName, int? threads)
    {
        CommonOptions.CheckOutFolder(outPath);
        var ml = new MLContext(TrainCommand.DefaultSeed);
        using var scoring = CommonOptions.LoadForScoring(ml, modelPath, engineName, threads);
        var loaded = scoring.Model;
        var cnn = loaded.FindCnn();
        var classes = cnn.PositiveClassName is { } p && cnn.NegativeClassName is { } n ? (p, n) : ((string, string)?)null;
        var listed = LabelledFolder.Load(dataPath, positiveName, "data", skip, classes);
        var folder = listed.LeaveOut(ImageCheck.Reasons(listed.Rows.Select(r => r.ImagePath).ToArray(), skip), skip, "data");
        IgnoredNote.Write(console.Error, folder.Ignored, folder.Path, "data", "all in metrics.json");
        SkipWarning.Write(console.Error, folder.Skipped, folder.ListedCount, "data images", "all in metrics.json");
        var evaluation = Evaluation.Run(ml, loaded, folder);
        ReportTables.WriteMetrics(console.Ansi, evaluation);
        var files = new OutputFiles(outPath);
        Plots.WriteRoc(files.Roc, evaluation, $"{modelPath} on {folder}");
        ErrorSheet.Write(files.Errors, ml, loaded, evaluation);
        MetricsFile.Write(files.Metrics, evaluation, training: null, history: [],
            skip ? new Dictionary<string, IReadOnlyList<SkippedImage>> { ["data"] = folder.Skipped } : null,
            new Dictionary<string, IReadOnlyList<IgnoredFile>> { ["data"] = folder.Ignored });
        console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Accuracy {evaluation.Metrics.Accuracy:F4}, AUC {evaluation.Metrics.AreaUnderRocCurve:F4}. Wrote {files.Roc}, {files.Errors}, {files.Metrics}."));
        return CliApp.Success;
    }
}
