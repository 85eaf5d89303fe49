using System.Globalization;
using MlNetCnn.Diagnostics;
using Spectre.Console;

namespace MlNetCnn.Cli.Reporting;

/// <summary>The tables a command prints: one row per epoch, and the final metrics with the confusion matrix.</summary>
internal static class ReportTables
{
    /// <summary>Training loss and accuracy, validation loss, accuracy, AUC and share predicted positive, per epoch.</summary>
    public static void WriteHistory(IAnsiConsole console, IReadOnlyList<EpochRecord> history)
    {
        console.WriteLine("Per epoch (loss: binary cross-entropy in nats; train acc.: running accuracy over the epoch's augmented batches; " +
            "validation columns cover the whole validation set):");
        var table = new Table { Border = TableBorder.Rounded };
        foreach (var header in new[] { "epoch", "train loss", "train acc.", "valid loss", "accuracy", "AUC", "pred. pos.", "images/s" })
            table.AddColumn(new TableColumn(header).RightAligned());
        foreach (var r in history)
        {
            var v = r.Validation;
            table.AddRow(
                Text(r.Epoch.ToString(CultureInfo.InvariantCulture)),
                Text(F4(r.TrainingLoss)),
                Text(double.IsNaN(r.TrainingAccuracy) ? "–" : F4(r.TrainingAccuracy)),
                Text(v is null ? "–" : F4(v.Loss)),
                Text(v is null ? "–" : F4(v.Accuracy)),
                Text(v is null ? "–" : F4(v.Auc)),
                Text(v is null ? "–" : v.PositiveRate.ToString("P1", CultureInfo.InvariantCulture)),
                Text(r.ImagesPerSecond.ToString("F0", CultureInfo.InvariantCulture)));
        }
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
