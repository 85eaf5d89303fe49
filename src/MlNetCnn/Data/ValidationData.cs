using MlNetCnn.Tasks;
using MlNetCnn.Network;

namespace MlNetCnn.Data;

/// <summary>
/// The rows measured after every epoch: held in memory when images are cached, otherwise read again (in cursor
/// order, only the wanted rows decoded) each time they are measured.
/// </summary>
internal sealed class ValidationData
{
    private readonly FeatureTable? table;
    private readonly RowReader? reader;
    private readonly Func<int, bool>? wanted;

    private ValidationData(FeatureTable? table, RowReader? reader, Func<int, bool>? wanted, int count, int positives)
    {
        this.table = table;
        this.reader = reader;
        this.wanted = wanted;
        Count = count;
        Positives = positives;
    }

    public int Count { get; }

    public int Positives { get; }

    /// <summary>Rows of the validation input left out because they could not be read (when asked to skip them).</summary>
    public IReadOnlyList<UnreadableRow> Unreadable { get; private init; } = [];

    public static ValidationData Cached(FeatureTable table, IReadOnlyList<UnreadableRow>? unreadable = null) =>
        new(table, null, null, table.Count, table.PositiveCount) { Unreadable = unreadable ?? [] };

    public static ValidationData Streamed(RowReader reader, Func<int, bool>? wanted, int count, int positives, IReadOnlyList<UnreadableRow>? unreadable = null) =>
        new(null, reader, wanted, count, positives) { Unreadable = unreadable ?? [] };

    /// <summary>
    /// The rows <paramref name="options"/> validate on: the <see cref="CnnOptions.ValidationSet"/> (cached with the
    /// training images, or streamed; with <see cref="CnnOptions.SkipUnreadableRows"/>, one pass first finds the rows
    /// that cannot be read), or the rows <paramref name="train"/> held out; null for none.
    /// </summary>
    /// <exception cref="ArgumentException">The validation set's columns or geometry do not match (<see cref="CheckRows"/> checks its rows).</exception>
    public static ValidationData? Prepare(CnnOptions options, TrainingData train)
    {
        var cancellation = options.CancellationToken;
        if (options.ValidationSet is not { } set)
        {
            if (train.ValidationPositions.Length == 0)
                return null;
            var held = train.ValidationPositions.ToHashSet();
            return train.IsCached
                ? Cached(train.Rows(train.ValidationPositions, cancellation))
                : Streamed(train.Reader, held.Contains, held.Count, train.ValidationPositions.Count(train.Label));
        }
        ColumnChecks.CheckLabel(set.Schema, options.LabelColumnName, CnnTask.Of(options));
        var geometry = ColumnChecks.FeatureGeometry(set.Schema, options);
        if (geometry != train.Geometry)
            throw new ArgumentOutOfRangeException(nameof(options), $"The validation set holds images of {geometry}; the training data holds {train.Geometry}.");
        var reader = new RowReader(set, options.FeatureColumnName, options.LabelColumnName, geometry, RowSet.Validation);
        var unreadable = options.SkipUnreadableRows ? new List<UnreadableRow>() : null;
        ValidationData validation;
        if (options.CacheImages)
            validation = Cached(FeatureTable.Read(reader, null, cancellation, unreadable), unreadable);
        else if (unreadable is not null)
        {
            // One pass that decodes every validation image, to know which rows cannot be read before measuring.
            int count = 0, positives = 0;
            reader.Read(null, (_, _, label) => { count++; if (label) positives++; }, cancellation, unreadable);
            var left = unreadable.Select(r => r.Position).ToHashSet();
            validation = Streamed(reader, left.Count == 0 ? null : p => !left.Contains(p), count, positives, unreadable);
        }
        else
        {
            // One pass over the labels alone (no image is decoded) to know the size and the classes.
            var (count, positives) = CountLabels(set, options.LabelColumnName);
            validation = Streamed(reader, null, count, positives);
        }
        return validation;
    }

    /// <summary>Checks that there is a row to measure.</summary>
    /// <exception cref="ArgumentException">The validation set has no (readable) row.</exception>
    public void CheckRows()
    {
        if (Count == 0)
            throw new ArgumentException(Unreadable.Count == 0
                ? "The validation set has no rows."
                : $"None of the {Unreadable.Count} validation rows could be read (SkipUnreadableRows left them all out); the first: {Unreadable[0]}.", nameof(CnnOptions.ValidationSet));
    }

    private static (int Count, int Positives) CountLabels(Microsoft.ML.IDataView data, string labelColumn)
    {
        var column = data.Schema[labelColumn];
        using var cursor = data.GetRowCursor(new[] { column });
        var getter = cursor.GetGetter<bool>(column);
        int count = 0, positives = 0;
        var value = false;
        while (cursor.MoveNext())
        {
            getter(ref value);
            count++;
            if (value) positives++;
        }
        return (count, positives);
    }

    /// <summary>One logit per row, with the rows' labels, in batches of <paramref name="batchSize"/>, in evaluation mode.</summary>
    public (float[] Logits, bool[] Labels) Score(NetworkModule network, ImageGeometry geometry, int batchSize, CancellationToken cancellation)
    {
        var size = geometry.Size;
        var logits = new List<float>(Count);
        var labels = new List<bool>(Count);
        var buffer = new float[batchSize * size];
        var scores = new float[batchSize];
        var filled = 0;
        void Flush()
        {
            if (filled == 0) return;
            Inference.Forward(network, geometry, buffer.AsSpan(0, filled * size), scores.AsSpan(0, filled));
            logits.AddRange(scores.AsSpan(0, filled).ToArray());
            filled = 0;
        }
        void Add(ReadOnlySpan<float> features, bool label)
        {
            features.CopyTo(buffer.AsSpan(filled * size, size));
            labels.Add(label);
            if (++filled == batchSize) Flush();
        }

        if (table is not null)
        {
            for (var i = 0; i < table.Count; i++)
                Add(table.Row(i), table.Labels[i]);
        }
        else
        {
            reader!.Read(wanted, (_, features, label) => Add(features, label), cancellation);
        }
        Flush();
        return (logits.ToArray(), labels.ToArray());
    }
}
