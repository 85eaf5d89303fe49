namespace MlNetCnn.Data;

/// <summary>
/// Rows of a data view held in memory as image vectors (C×H×W floats) and, when asked, Boolean labels.
/// </summary>
internal sealed class FeatureTable
{
    private readonly List<float[]> rows = new();
    private readonly List<bool> labels = new();

    private FeatureTable(ImageGeometry geometry, bool hasLabels)
    {
        Geometry = geometry;
        HasLabels = hasLabels;
    }

    /// <summary>The geometry of every row.</summary>
    public ImageGeometry Geometry { get; }

    /// <summary>Whether labels were read.</summary>
    public bool HasLabels { get; }

    /// <summary>Number of rows.</summary>
    public int Count => rows.Count;

    /// <summary>The labels, one per row (empty when none were read).</summary>
    public IReadOnlyList<bool> Labels => labels;

    /// <summary>Number of rows labelled true.</summary>
    public int PositiveCount => labels.Count(l => l);

    /// <summary>
    /// Reads the rows <paramref name="wanted"/> picks (all when null), images and labels, into memory; rows that cannot
    /// be read go to <paramref name="unreadable"/> when it is given, else fail the read.
    /// </summary>
    public static FeatureTable Read(RowReader reader, Func<int, bool>? wanted = null, CancellationToken cancellation = default, List<UnreadableRow>? unreadable = null)
    {
        var table = new FeatureTable(reader.Geometry, reader.HasLabels);
        reader.Read(wanted, (_, features, label) =>
        {
            table.rows.Add(features.ToArray());
            if (table.HasLabels)
                table.labels.Add(label);
        }, cancellation, unreadable);
        return table;
    }

    /// <summary>A table with no rows yet, for <see cref="Add"/>.</summary>
    public static FeatureTable Empty(ImageGeometry geometry) => new(geometry, hasLabels: true);

    /// <summary>Adds a row (kept by reference) and its label.</summary>
    public void Add(float[] row, bool label)
    {
        rows.Add(row);
        labels.Add(label);
    }

    /// <summary>Copies the rows named by <paramref name="indices"/>, in order, into <paramref name="destination"/>.</summary>
    public void CopyRows(ReadOnlySpan<int> indices, Span<float> destination)
    {
        var size = Geometry.Size;
        for (var i = 0; i < indices.Length; i++)
            rows[indices[i]].CopyTo(destination.Slice(i * size, size));
    }

    /// <summary>Row <paramref name="index"/>'s image vector.</summary>
    public ReadOnlySpan<float> Row(int index) => rows[index];
}
