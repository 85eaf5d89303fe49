using System.Text;
using MlNetCnn.Diagnostics;

namespace MlNetCnn.Persistence;

/// <summary>Training history as bytes, for the model zip and for checkpoints. Every value read back is checked.</summary>
internal static class HistoryFormat
{
    private const int MaxRecords = 1_000_000;
    private const int MaxAlarms = 64;
    private const int MaxStringBytes = 4096;
    private const int MaxSearchPoints = 1_000_000;
    private const int MaxUnreadableRows = 1 << 24;

    // *** Binary format ***
    // int: record count
    // per record: int epoch; double training loss; double learning rate; double seconds; double images/s;
    //   byte: 1 when validation metrics follow, else 0;
    //   [int count; double loss, accuracy, AUC, log-loss, positive rate, majority baseline, probability spread; int positives]
    //   int: alarm count; per alarm: string code; byte severity; int epoch; string message
    // then (model format 0x00010003 on, checkpoint format 3 on): int record count again; per record: int skipped rows.
    //   Readers of earlier formats stop before this block, so they still read the records. Up to model format 0x00010006
    //   and checkpoint format 4 every record held the run's count of unreadable rows; from 0x00010007 and 5 on the rows
    //   are kept once (WriteUnreadable) and every record holds the count of rows not kept there: 0, or the count of a
    //   model read from an older format and saved again. The block stays so that the layout, and its readers, stay.
    // then (model format 0x00010005 on, checkpoint format 4 on): int record count again; per record: double training
    //   accuracy (NaN when unknown). Readers of earlier formats stop before it.
    // strings: int byte length (at most 4096; longer text is cut when written), then UTF-8 bytes
    //
    // The model's history stream (format 0x00010005 on) then holds the learning-rate search (WriteSearch), which
    // checkpoints do not: byte 1 when one follows, else 0; [double suggested rate; double rate at the lowest smoothed
    // loss; int batches; double seconds; byte 1 when stopped early, else 0; int point count (= batches); per point:
    // double rate, loss, smoothed loss]
    //
    // The run's unreadable rows (WriteUnreadable; the model's stream CnnUnreadable from format 0x00010007 on, checkpoints
    // from format 5 on): int count; per row: byte set (0 training, 1 validation); long position; string row; string reason

    /// <summary>Writes <paramref name="history"/>; <paramref name="countWithoutRows"/> goes into the skipped-rows block (see the format).</summary>
    public static void Write(BinaryWriter writer, IReadOnlyList<EpochRecord> history, int countWithoutRows = 0)
    {
        writer.Write(history.Count);
        foreach (var r in history)
        {
            writer.Write(r.Epoch);
            writer.Write(r.TrainingLoss);
            writer.Write(r.LearningRate);
            writer.Write(r.Seconds);
            writer.Write(r.ImagesPerSecond);
            writer.Write((byte)(r.Validation is null ? 0 : 1));
            if (r.Validation is { } v)
            {
                writer.Write(v.Count);
                foreach (var value in new[] { v.Loss, v.Accuracy, v.Auc, v.LogLoss, v.PositiveRate, v.MajorityBaseline, v.ProbabilitySpread })
                    writer.Write(value);
                writer.Write(v.Positives);
            }
            writer.Write(r.Alarms.Count);
            foreach (var a in r.Alarms)
            {
                WriteString(writer, a.Code);
                writer.Write((byte)a.Severity);
                writer.Write(a.Epoch);
                WriteString(writer, a.Message);
            }
        }
        writer.Write(history.Count);
        foreach (var _ in history)
            writer.Write(countWithoutRows);
        writer.Write(history.Count);
        foreach (var r in history)
            writer.Write(r.TrainingAccuracy);
    }

    /// <summary>
    /// Reads what <see cref="Write"/> wrote; <paramref name="withSkippedRows"/> and <paramref name="withTrainingAccuracy"/>
    /// when the format has those blocks (the second only after the first). <paramref name="skippedRows"/> is the run's
    /// count of unreadable rows as the skipped-rows block gives it: 0 without one; from model format 0x00010007 and
    /// checkpoint format 5 on, the count of rows the format did not keep.
    /// </summary>
    public static List<EpochRecord> Read(BinaryReader reader, bool withSkippedRows, bool withTrainingAccuracy, out int skippedRows)
    {
        skippedRows = 0;
        if (withTrainingAccuracy && !withSkippedRows)
            throw new ArgumentException("The training-accuracy block follows the skipped-rows block.", nameof(withTrainingAccuracy));
        var count = Bounded(reader.ReadInt32(), 0, MaxRecords, "history record count");
        var history = new List<EpochRecord>(Math.Min(count, 1024));
        for (var i = 0; i < count; i++)
        {
            var epoch = Bounded(reader.ReadInt32(), 1, int.MaxValue, "epoch");
            var loss = reader.ReadDouble();
            var rate = reader.ReadDouble();
            var seconds = reader.ReadDouble();
            var speed = reader.ReadDouble();
            BinaryMetrics? validation = null;
            switch (reader.ReadByte())
            {
                case 0:
                    break;
                case 1:
                    var n = Bounded(reader.ReadInt32(), 1, int.MaxValue, "validation row count");
                    var values = new double[7];
                    for (var k = 0; k < values.Length; k++) values[k] = reader.ReadDouble();
                    var positives = Bounded(reader.ReadInt32(), 0, n, "validation positives");
                    validation = new BinaryMetrics(n, values[0], values[1], values[2], values[3], values[4], values[5], values[6], positives);
                    break;
                default:
                    throw new InvalidDataException("The training history is damaged: a validation marker is neither 0 nor 1.");
            }
            var alarmCount = Bounded(reader.ReadInt32(), 0, MaxAlarms, "alarm count");
            var alarms = new Alarm[alarmCount];
            for (var k = 0; k < alarmCount; k++)
            {
                var code = ReadString(reader);
                var severity = reader.ReadByte();
                if (severity > (byte)AlarmSeverity.Error)
                    throw new InvalidDataException($"The training history is damaged: alarm severity {severity} is unknown.");
                alarms[k] = new Alarm(code, (AlarmSeverity)severity, Bounded(reader.ReadInt32(), 0, int.MaxValue, "alarm epoch"), ReadString(reader));
            }
            history.Add(new EpochRecord(epoch, loss, validation, rate, seconds, speed, alarms));
        }
        if (withSkippedRows)
        {
            Bounded(reader.ReadInt32(), count, count, "skipped-rows record count");
            // Every record of a run held the same count; the largest is the run's, as well as it can be said.
            for (var i = 0; i < count; i++)
                skippedRows = Math.Max(skippedRows, Bounded(reader.ReadInt32(), 0, int.MaxValue, "skipped rows"));
        }
        if (withTrainingAccuracy)
        {
            Bounded(reader.ReadInt32(), count, count, "training-accuracy record count");
            for (var i = 0; i < count; i++)
            {
                var accuracy = reader.ReadDouble();
                if (!(double.IsNaN(accuracy) || accuracy is >= 0 and <= 1))
                    throw new InvalidDataException($"The training history is damaged: training accuracy {accuracy} is not in [0, 1].");
                history[i] = history[i] with { TrainingAccuracy = accuracy };
            }
        }
        return history;
    }

    /// <summary>Writes the learning-rate search that chose the training rate, or that there was none.</summary>
    public static void WriteSearch(BinaryWriter writer, LearningRateFinderResult? search)
    {
        writer.Write((byte)(search is null ? 0 : 1));
        if (search is null)
            return;
        writer.Write(search.SuggestedLearningRate);
        writer.Write(search.MinimumLossLearningRate);
        writer.Write(search.Batches);
        writer.Write(search.Seconds);
        writer.Write((byte)(search.StoppedEarly ? 1 : 0));
        writer.Write(search.Curve.Count);
        foreach (var p in search.Curve)
        {
            writer.Write(p.LearningRate);
            writer.Write(p.Loss);
            writer.Write(p.SmoothedLoss);
        }
    }

    /// <summary>Reads what <see cref="WriteSearch"/> wrote.</summary>
    public static LearningRateFinderResult? ReadSearch(BinaryReader reader)
    {
        var present = reader.ReadByte();
        if (present > 1)
            throw new InvalidDataException("The training history is damaged: the learning-rate search marker is neither 0 nor 1.");
        if (present == 0)
            return null;
        var suggested = Rate(reader.ReadDouble(), "suggested learning rate");
        var minimum = Rate(reader.ReadDouble(), "learning rate at the lowest loss");
        var batches = Bounded(reader.ReadInt32(), 1, MaxSearchPoints, "learning-rate search batches");
        var seconds = reader.ReadDouble();
        if (!(seconds >= 0) || double.IsInfinity(seconds))
            throw new InvalidDataException($"The training history is damaged: the learning-rate search took {seconds} s.");
        var early = reader.ReadByte();
        if (early > 1)
            throw new InvalidDataException("The training history is damaged: the learning-rate search's early-stop marker is neither 0 nor 1.");
        var count = Bounded(reader.ReadInt32(), batches, batches, "learning-rate search point count");
        var curve = new LearningRatePoint[count];
        for (var i = 0; i < count; i++)
            curve[i] = new LearningRatePoint(Rate(reader.ReadDouble(), "learning rate"), reader.ReadDouble(), reader.ReadDouble());
        return new LearningRateFinderResult(curve, suggested, minimum, batches, seconds, early == 1);
    }

    /// <summary>Writes the rows a run left out because they could not be read.</summary>
    public static void WriteUnreadable(BinaryWriter writer, IReadOnlyList<UnreadableRow> rows)
    {
        writer.Write(rows.Count);
        foreach (var row in rows)
        {
            writer.Write((byte)row.Set);
            writer.Write(row.Position);
            WriteString(writer, row.Row);
            WriteString(writer, row.Reason);
        }
    }

    /// <summary>Reads what <see cref="WriteUnreadable"/> wrote.</summary>
    public static UnreadableRow[] ReadUnreadable(BinaryReader reader)
    {
        var count = Bounded(reader.ReadInt32(), 0, MaxUnreadableRows, "unreadable row count");
        var rows = new List<UnreadableRow>(Math.Min(count, 1024));
        for (var i = 0; i < count; i++)
        {
            var set = reader.ReadByte();
            if (set > (byte)RowSet.Validation)
                throw new InvalidDataException($"The training history is damaged: row set {set} of an unreadable row is unknown.");
            var position = reader.ReadInt64();
            if (position < 0)
                throw new InvalidDataException($"The training history is damaged: an unreadable row's position {position} is negative.");
            rows.Add(new UnreadableRow((RowSet)set, position, ReadString(reader), ReadString(reader)));
        }
        return rows.ToArray();
    }

    private static double Rate(double value, string what) =>
        value > 0 && double.IsFinite(value) ? value : throw new InvalidDataException($"The training history is damaged: {what} {value} is not a positive finite number.");

    internal static void WriteString(BinaryWriter writer, string value)
    {
        // Never write what Read would refuse: cut long text at a character boundary.
        while (Encoding.UTF8.GetByteCount(value) > MaxStringBytes)
            value = value[..(value.Length * 3 / 4)];
        var bytes = Encoding.UTF8.GetBytes(value);
        writer.Write(bytes.Length);
        writer.Write(bytes);
    }

    internal static string ReadString(BinaryReader reader)
    {
        var length = Bounded(reader.ReadInt32(), 0, MaxStringBytes, "string length");
        var bytes = reader.ReadBytes(length);
        if (bytes.Length != length)
            throw new EndOfStreamException("The training history ends inside a string.");
        return Encoding.UTF8.GetString(bytes);
    }

    private static int Bounded(int value, int min, int max, string what) =>
        value >= min && value <= max ? value : throw new InvalidDataException($"The training history is damaged: {what} {value} is not in [{min}, {max}].");
}
