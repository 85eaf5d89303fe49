using System.Globalization;
using MlNetCnn.Diagnostics;
using Spectre.Console;

namespace MlNetCnn.Cli.Reporting;

/// <summary>The tables a command prints: one row per epoch, and the final metrics with the confusion matrix.</summary>
internal static class ReportTables
{
    // The figures of EpochRecord.Fields the table shows (metrics.json has them all).
    private static readonly HashSet<string> TableKeys =
        ["trainingLoss", "trainingAccuracy", "validationLoss", "validationAccuracy", "validationAuc", "validationPredictedPositive", "imagesPerSecond"];

    /// <summary>Training loss and accuracy, validation loss, accuracy, AUC and share predicted positive, per epoch.</summary>
    public static void WriteHistory(IAnsiConsole console, IReadOnlyList<EpochRecord> history)
    {
        console.WriteLine("Per epoch (loss: binary cross-entropy in nats; train acc.: running accuracy over the epoch's augmented batches; " +
            "validation columns cover the whole validation set):");
        var table = new Table { Border = TableBorder.Rounded };
        table.AddColumn(new TableColumn("epoch").RightAligned());
        foreach (var field in history.Count == 0 ? [] : history[0].Fields().Where(f => TableKeys.Contains(f.Key)))
            table.AddColumn(new TableColumn(field.ShortName).RightAligned());
        foreach (var r in history)
            table.AddRow([Text(r.Epoch.ToString(CultureInfo.InvariantCulture)), .. r.Fields().Where(f => TableKeys.Contains(f.Key)).Select(f => Text(f.Text))]);
        console.Write(table);
    }

    /// <summary>ML.NET's metrics over the whole folder, and the confusion matrix.</summary>
    public static void WriteMetrics(IAnsiConsole console, Evaluation evaluation)
    {
        var m = evaluation.Metrics;
        console.WriteLine($"ML.NET BinaryClassification.Evaluate on {evaluation.Folder}:");
        var metrics = new Table { Border = TableBorder.Rounded };
        metrics.AddColumn("metric");
        metrics.AddColumn(new TableColumn("value").RightAligned());
        foreach (var (name, value) in new (string, double)[]
        {
            ("accuracy", m.Accuracy), ("AUC", m.AreaUnderRocCurve), ("F1", m.F1Score),
            ("precision", m.PositivePrecision), ("recall", m.PositiveRecall), ("log-loss (bits)", m.LogLoss),
        })
        {
            metrics.AddRow(Text(name), Text(F4(value)));
        }
        console.Write(metrics);

        var folder = evaluation.Folder;
        console.WriteLine("Confusion matrix (rows: actual class; columns: predicted class):");
        var confusion = new Table { Border = TableBorder.Rounded };
        confusion.AddColumn("");
        confusion.AddColumn(new TableColumn($"{folder.PositiveName} (positive)").RightAligned());
        confusion.AddColumn(new TableColumn($"{folder.NegativeName} (negative)").RightAligned());
        confusion.AddRow(Text($"{folder.PositiveName} (positive)"), Count(evaluation.TruePositives), Count(evaluation.FalseNegatives));
        confusion.AddRow(Text($"{folder.NegativeName} (negative)"), Count(evaluation.FalsePositives), Count(evaluation.TrueNegatives));
        console.Write(confusion);
    }

    private static Text Text(string value) => new(value);

    private static Text Count(int value) => new(value.ToString(CultureInfo.InvariantCulture));

    private static string F4(double value) => value.ToString("F4", CultureInfo.InvariantCulture);
}
