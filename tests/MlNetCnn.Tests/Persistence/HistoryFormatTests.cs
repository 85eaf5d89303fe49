using MlNetCnn.Diagnostics;
using MlNetCnn.Persistence;

namespace MlNetCnn.Tests.Persistence;

public sealed class HistoryFormatTests
{
    private static EpochRecord Record(int epoch, string alarmText = "CNN009 unreadable rows", int skipped = 3, double trainingAccuracy = 0.75) =>
        new(epoch, 0.5 / epoch, null, 1e-3, 1.5, 200, [new Alarm(AlarmCodes.UnreadableRows, AlarmSeverity.Warning, 0, alarmText)])
        {
            SkippedRows = skipped,
            TrainingAccuracy = trainingAccuracy,
        };

    private static byte[] Write(IReadOnlyList<EpochRecord> history)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
            HistoryFormat.Write(writer, history);
        return stream.ToArray();
    }

    private static List<EpochRecord> Read(byte[] bytes, bool withSkippedRows, bool withTrainingAccuracy = true)
    {
        using var reader = new BinaryReader(new MemoryStream(bytes));
        return HistoryFormat.Read(reader, withSkippedRows, withTrainingAccuracy && withSkippedRows);
    }

    [Fact]
    public void Skipped_row_counts_round_trip()
    {
        var history = new[] { Record(1, skipped: 3), Record(2, skipped: 5) };

        var read = Read(Write(history), withSkippedRows: true);

        Assert.Equal([3, 5], read.Select(r => r.SkippedRows));
        Assert.Equal(history.Select(r => r.TrainingLoss), read.Select(r => r.TrainingLoss));
    }

    [Fact]
    public void A_reader_of_the_format_before_skipped_rows_still_reads_the_records()
    {
        var history = new[] { Record(1), Record(2) };

        var read = Read(Write(history), withSkippedRows: false);

        Assert.Equal(history.Select(r => r.Epoch), read.Select(r => r.Epoch));
        Assert.All(read, r => Assert.Equal(0, r.SkippedRows));
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
        var history = new[] { Record(1, skipped: 4), Record(2, skipped: 6) };

        var read = Read(Write(history), withSkippedRows: true, withTrainingAccuracy: false);

        Assert.Equal([4, 6], read.Select(r => r.SkippedRows));
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
