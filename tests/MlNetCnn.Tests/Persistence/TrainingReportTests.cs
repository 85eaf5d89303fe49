using System.IO.Compression;
using Microsoft.ML;
using MlNetCnn.Diagnostics;
using MlNetCnn.Persistence;
using MlNetCnn.Tests.Support;

namespace MlNetCnn.Tests.Persistence;

/// <summary>
/// The run's report is not the model: <see cref="CnnTransformer.Report"/> holds what Fit produced, saved in stream
/// CnnReport with a version of its own; models saved before it keep what their format kept.
/// </summary>
public sealed class TrainingReportTests : IClassFixture<TrainedModel>
{
    private static readonly string Before = Path.Combine(AppContext.BaseDirectory, "Fixtures", "format-0x00010009");
    private readonly TrainedModel m;

    public TrainingReportTests(TrainedModel m) => this.m = m;

    private string Save(TempFolder folder)
    {
        var path = folder.File("model.zip");
        m.Ml.Model.Save(m.Transformer, m.Test.Schema, path);
        return path;
    }

    private static byte[] ReadEntry(string path, string stream)
    {
        using var zip = ZipFile.OpenRead(path);
        using var bytes = new MemoryStream();
        zip.Entries.Single(e => e.FullName.EndsWith(stream, StringComparison.Ordinal)).Open().CopyTo(bytes);
        return bytes.ToArray();
    }

    private static void WriteEntry(string path, string stream, byte[] bytes)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Update);
        var entry = zip.Entries.Single(e => e.FullName.EndsWith(stream, StringComparison.Ordinal));
        var name = entry.FullName;
        entry.Delete();
        using var rewritten = zip.CreateEntry(name).Open();
        rewritten.Write(bytes);
    }

    // Every field a history record keeps, as text, so that two histories compare value by value.
    private static string[] Fields(TrainingReport report) =>
        report.History.Select(r => $"{r.Describe(report.History.Count)} | {r.TrainingAccuracy:R} | {string.Join(";", r.Alarms.Select(a => $"{a.Code} {a.Severity} {a.Epoch} {a.Message}"))}").ToArray();

    [Fact]
    public void Fit_reports_the_run_and_the_report_loads_back_whole()
    {
        var report = m.Transformer.Report;
        Assert.Equal(SyntheticImages.FastOptions().Epochs, report.History.Count);
        Assert.InRange(report.BestEpoch, 1, report.History.Count);
        Assert.Equal(Precision.Float32, report.Precision);
        Assert.Equal(m.Transformer.TrainingPrecision, report.Precision);
        Assert.False(string.IsNullOrWhiteSpace(report.PrecisionReason));

        using var folder = new TempFolder();
        using var loaded = Assert.IsType<CnnTransformer>(new MLContext().Model.Load(Save(folder), out _));

        Assert.Equal(Fields(report), Fields(loaded.Report));
        Assert.Equal(report.BestEpoch, loaded.Report.BestEpoch);
        Assert.Equal(report.PrecisionReason, loaded.Report.PrecisionReason);
        Assert.Equal(report.Precision, loaded.Report.Precision);
        Assert.Equal(report.UnreadableRowCount, loaded.Report.UnreadableRowCount);
        Assert.Equal(report.Alarms.Select(a => a.Message), loaded.Report.Alarms.Select(a => a.Message));
    }

    [Fact]
    public void The_report_has_a_stream_of_its_own_that_starts_with_its_format_and_the_old_history_streams_are_gone()
    {
        using var folder = new TempFolder();
        var path = Save(folder);
        var entries = ModelZip.Entries(path);

        Assert.Contains(entries, e => e.EndsWith(CnnModelFormat.ReportStream, StringComparison.Ordinal));
        Assert.DoesNotContain(entries, e => e.EndsWith(CnnModelFormat.HistoryStream, StringComparison.Ordinal));
        Assert.DoesNotContain(entries, e => e.EndsWith(CnnModelFormat.UnreadableStream, StringComparison.Ordinal));
        Assert.Equal(ReportFormat.VersionWritten, BitConverter.ToInt32(ReadEntry(path, CnnModelFormat.ReportStream), 0));
    }

    [Fact]
    public void A_later_report_format_that_appends_is_read_for_what_this_build_knows()
    {
        using var folder = new TempFolder();
        var path = Save(folder);
        var bytes = ReadEntry(path, CnnModelFormat.ReportStream);
        BitConverter.GetBytes(ReportFormat.VersionWritten + 1).CopyTo(bytes, 0);
        WriteEntry(path, CnnModelFormat.ReportStream, [.. bytes, 42, 0, 0, 0, 7]);

        using var loaded = Assert.IsType<CnnTransformer>(new MLContext().Model.Load(path, out _));

        Assert.Equal(Fields(m.Transformer.Report), Fields(loaded.Report));
        Assert.Equal(m.Transformer.Report.PrecisionReason, loaded.Report.PrecisionReason);
    }

    [Theory]
    [InlineData(0, "report format 0 is not a format")]
    [InlineData(-3, "report format -3 is not a format")]
    public void A_report_that_is_no_format_is_refused_naming_the_stream(int version, string message)
    {
        using var folder = new TempFolder();
        var path = Save(folder);
        var bytes = ReadEntry(path, CnnModelFormat.ReportStream);
        BitConverter.GetBytes(version).CopyTo(bytes, 0);
        WriteEntry(path, CnnModelFormat.ReportStream, bytes);

        var error = LoadRefusal.OfOurLoader(Assert.ThrowsAny<Exception>(() => new MLContext().Model.Load(path, out _)));

        Assert.StartsWith("The CNN model in this file is damaged: the report stream 'CnnReport'", error.Message);
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void A_report_cut_short_is_refused_naming_the_stream()
    {
        using var folder = new TempFolder();
        var path = Save(folder);
        var bytes = ReadEntry(path, CnnModelFormat.ReportStream);
        WriteEntry(path, CnnModelFormat.ReportStream, bytes[..(bytes.Length - 3)]);

        var error = LoadRefusal.OfOurLoader(Assert.ThrowsAny<Exception>(() => new MLContext().Model.Load(path, out _)));

        Assert.Contains("the report stream 'CnnReport' ends before its last part", error.Message);
    }

    [Fact]
    public void A_model_saved_before_the_report_had_its_stream_reports_what_its_format_kept()
    {
        // Fixtures/format-0x00010009: two epochs, trained in Float32, the history in CnnHistory (see its README).
        using var loaded = Assert.IsType<CnnTransformer>(new MLContext().Model.Load(Path.Combine(Before, "model.zip"), out _).FindCnn());

        Assert.Equal([1, 2], loaded.Report.History.Select(r => r.Epoch));
        Assert.Equal(2, loaded.Report.BestEpoch);
        Assert.Equal(Precision.Float32, loaded.Report.Precision);
        Assert.Null(loaded.Report.PrecisionReason);
        Assert.Empty(loaded.Report.UnreadableRows);
    }
}
