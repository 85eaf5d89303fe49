using MlNetCnn.Network;
using MlNetCnn.Scoring;

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

    /// <summary>One logit per row, with the rows' labels, in batches of <paramref name="batchSize"/>, in evaluation mode.</summary>
    public (float[] Logits, bool[] Labels) Score(CnnNetwork network, int batchSize, CancellationToken cancellation)
    {
        var size = network.Geometry.Size;
        var logits = new List<float>(Count);
        var labels = new List<bool>(Count);
        var buffer = new float[batchSize * size];
        var scores = new float[batchSize];
        var filled = 0;
        void Flush()
        {
            if (filled == 0) return;
            LibTorchEngine.Forward(network, buffer.AsSpan(0, filled * size), scores.AsSpan(0, filled));
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
