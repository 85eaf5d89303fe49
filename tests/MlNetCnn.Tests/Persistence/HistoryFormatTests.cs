using MlNetCnn.Diagnostics;
using MlNetCnn.Persistence;

namespace MlNetCnn.Tests.Persistence;

public sealed class HistoryFormatTests
{
    private static EpochRecord Record(int epoch, string alarmText = "CNN009 unreadable rows", double trainingAccuracy = 0.75) =>
        new(epoch, 0.5 / epoch, null, 1e-3, 1.5, 200, [new Alarm(AlarmCodes.UnreadableRows, AlarmSeverity.Warning, 0, alarmText)])
        {
            TrainingAccuracy = trainingAccuracy,
        };

    private static byte[] Write(IReadOnlyList<EpochRecord> history, int countWithoutRows = 0)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
            HistoryFormat.Write(writer, history, countWithoutRows);
        return stream.ToArray();
    }

    private static List<EpochRecord> Read(byte[] bytes, bool withSkippedRows, bool withTrainingAccuracy = true) => Read(bytes, withSkippedRows, withTrainingAccuracy, out _);

    private static List<EpochRecord> Read(byte[] bytes, bool withSkippedRows, bool withTrainingAccuracy, out int skippedRows)
    {
        using var reader = new BinaryReader(new MemoryStream(bytes));
        return HistoryFormat.Read(reader, withSkippedRows, withTrainingAccuracy && withSkippedRows, out skippedRows);
    }

    [Fact]
    public void A_count_of_rows_not_kept_round_trips_through_the_skipped_rows_block_as_the_runs_count()
    {
        var history = new[] { Record(1), Record(2) };

        var read = Read(Write(history, countWithoutRows: 3), withSkippedRows: true, withTrainingAccuracy: true, out var skipped);

        Assert.Equal(3, skipped);
        Assert.Equal(history.Select(r => r.TrainingLoss), read.Select(r => r.TrainingLoss));
        Read(Write(history), withSkippedRows: true, withTrainingAccuracy: true, out var none);
        Assert.Equal(0, none);
    }

    [Fact]
    public void An_earlier_formats_per_epoch_counts_become_the_runs_count()
    {
        // Formats 0x00010003 to 0x00010006 wrote the run's count on every record: the same layout as a count not kept.
        var read = Read(Write([Record(1), Record(2), Record(3)], countWithoutRows: 4), withSkippedRows: true, withTrainingAccuracy: false, out var skipped);

        Assert.Equal(4, skipped);
        Assert.Equal(3, read.Count);
    }

    [Fact]
    public void A_reader_of_the_format_before_skipped_rows_still_reads_the_records()
    {
        var history = new[] { Record(1), Record(2) };

        var read = Read(Write(history), withSkippedRows: false, withTrainingAccuracy: false, out var skipped);

        Assert.Equal(history.Select(r => r.Epoch), read.Select(r => r.Epoch));
        Assert.Equal(0, skipped);
    }

    [Fact]
    public void Unreadable_rows_round_trip_with_their_set_position_row_and_reason()
    {
        UnreadableRow[] rows =
        [
            new(RowSet.Training, 7, "ImagePath = 'a.png'", "The image 'a.png' is empty (0 bytes)."),
            new(RowSet.Validation, 3_000_000_000, "", "no text columns"),
        ];
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
            HistoryFormat.WriteUnreadable(writer, rows);
        stream.Position = 0;

        Assert.Equal(rows, HistoryFormat.ReadUnreadable(new BinaryReader(stream)));
    }

    [Fact]
    public void An_unreadable_row_of_an_unknown_set_is_damage()
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
            HistoryFormat.WriteUnreadable(writer, [new UnreadableRow(RowSet.Validation, 1, "", "x")]);
        var bytes = stream.ToArray();
        bytes[sizeof(int)] = 2;

        Assert.Throws<InvalidDataException>(() => HistoryFormat.ReadUnreadable(new BinaryReader(new MemoryStream(bytes))));
    }

    [Fact]
    public void An_alarm_text_too_long_to_read_back_is_cut_when_written()
    {
        var text = "CNN009 " + string.Concat(Enumerable.Repeat("päth/", 2000));

        var read = Read(Write([Record(1, text)]), withSkippedRows: true);

        var message = Assert.Single(read[0].Alarms).Message;
        Assert.StartsWith("CNN009 päth/", message);
        Assert.True(System.Text.Encoding.UTF8.GetByteCount(message) <= 4096);
    }

    [Fact]
    public void A_skipped_block_that_disagrees_with_the_records_is_damage()
    {
        var bytes = Write([Record(1)]);
        // the block's record count sits 20 bytes from the end: count and one int per record, then the training-accuracy
        // block (count and one double per record)
        BitConverter.GetBytes(2).CopyTo(bytes, bytes.Length - 20);

        Assert.Throws<InvalidDataException>(() => Read(bytes, withSkippedRows: true));
    }

    [Fact]
    public void Training_accuracy_round_trips_and_unknown_stays_NaN()
    {
        var history = new[] { Record(1, trainingAccuracy: 0.625), Record(2, trainingAccuracy: double.NaN) };

        var read = Read(Write(history), withSkippedRows: true);

        Assert.Equal(0.625, read[0].TrainingAccuracy);
        Assert.True(double.IsNaN(read[1].TrainingAccuracy));
    }

    [Fact]
    public void A_reader_of_the_format_before_training_accuracy_still_reads_the_records_and_skipped_rows()
    {
        var history = new[] { Record(1), Record(2) };

        var read = Read(Write(history, countWithoutRows: 6), withSkippedRows: true, withTrainingAccuracy: false, out var skipped);

        Assert.Equal(6, skipped);
        Assert.All(read, r => Assert.True(double.IsNaN(r.TrainingAccuracy)));
    }

    [Fact]
    public void A_training_accuracy_outside_0_to_1_is_damage()
    {
        var bytes = Write([Record(1)]);
        BitConverter.GetBytes(1.5).CopyTo(bytes, bytes.Length - 8);

        var error = Assert.Throws<InvalidDataException>(() => Read(bytes, withSkippedRows: true));
        Assert.Contains("training accuracy 1.5", error.Message);
    }
}
