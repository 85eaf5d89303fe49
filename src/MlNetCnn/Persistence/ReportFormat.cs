using MlNetCnn.Diagnostics;

namespace MlNetCnn.Persistence;

/// <summary>
/// A <see cref="TrainingReport"/> as bytes: the model zip's stream CnnReport (model format 0x0001000C on). The stream
/// carries its own version, so that the report can grow without a new model format. Every value read back is checked.
/// </summary>
internal static class ReportFormat
{
    /// <summary>The report format this build writes.</summary>
    public const int VersionWritten = 1;

    // *** Binary format ***
    // int: report format (1)
    // the history, with every block HistoryFormat.Write writes (skipped-row counts, training accuracy)
    // the learning-rate search (HistoryFormat.WriteSearch)
    // the unreadable rows (HistoryFormat.WriteUnreadable)
    // string: why training computed in its precision ("" when not known)
    // A later report format appends after these; a reader of format 1 reads them and ignores the rest.

    /// <summary>Writes <paramref name="report"/>.</summary>
    public static void Write(BinaryWriter writer, TrainingReport report)
    {
        writer.Write(VersionWritten);
        HistoryFormat.Write(writer, report.History, report.CountWithoutRows);
        HistoryFormat.WriteSearch(writer, report.LearningRateSearch);
        HistoryFormat.WriteUnreadable(writer, report.UnreadableRows);
        HistoryFormat.WriteString(writer, report.PrecisionReason ?? "");
    }

    /// <summary>
    /// Reads what <see cref="Write"/> wrote; <paramref name="bestEpoch"/> and <paramref name="precision"/> come from the
    /// model, which keeps them for scoring.
    /// </summary>
    /// <exception cref="InvalidDataException">The report format is not one this build knows, or a value is out of range.</exception>
    public static TrainingReport Read(BinaryReader reader, int bestEpoch, Precision precision)
    {
        var version = reader.ReadInt32();
        if (version < 1)
            throw new InvalidDataException($"report format {version} is not a format (it starts at 1)");
        var history = HistoryFormat.Read(reader, withSkippedRows: true, withTrainingAccuracy: true, out var countWithoutRows);
        var search = HistoryFormat.ReadSearch(reader);
        var unreadable = HistoryFormat.ReadUnreadable(reader);
        var reason = HistoryFormat.ReadString(reader);
        return new TrainingReport(history, bestEpoch, search, unreadable, countWithoutRows, precision, reason.Length == 0 ? null : reason);
    }
}
