using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetCnn.Data;

/// <summary>
/// Rows of an <see cref="IDataView"/> held in memory as image vectors (C×H×W floats) and, when asked, Boolean labels.
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

    /// <summary>Reads every row's feature vector and, when <paramref name="labelColumn"/> is given, its label.</summary>
    public static FeatureTable Read(IDataView data, string featureColumn, string? labelColumn, ImageGeometry geometry)
    {
        var schema = data.Schema;
        var features = schema[featureColumn];
        var table = new FeatureTable(geometry, labelColumn is not null);
        var active = labelColumn is null ? new[] { features } : new[] { features, schema[labelColumn] };
        using var cursor = data.GetRowCursor(active);
        var featureGetter = cursor.GetGetter<VBuffer<float>>(features);
        ValueGetter<bool>? labelGetter = labelColumn is null ? null : cursor.GetGetter<bool>(schema[labelColumn]);
        VBuffer<float> buffer = default;
        while (cursor.MoveNext())
        {
            featureGetter(ref buffer);
            if (buffer.Length != geometry.Size)
                throw new InvalidOperationException($"Row {cursor.Position} of column '{featureColumn}' has {buffer.Length} values; images of {geometry} need {geometry.Size}.");
            var row = new float[geometry.Size];
            buffer.CopyTo(row);
            table.rows.Add(row);
            if (labelGetter is not null)
            {
                var label = false;
                labelGetter(ref label);
                table.labels.Add(label);
            }
        }
        return table;
    }

    /// <summary>Copies the rows named by <paramref name="indices"/>, in order, into <paramref name="destination"/>.</summary>
    public void CopyRows(ReadOnlySpan<int> indices, Span<float> destination)
    {
        var size = Geometry.Size;
        for (var i = 0; i < indices.Length; i++)
            rows[indices[i]].CopyTo(destination.Slice(i * size, size));
    }

    /// <summary>Copies <paramref name="count"/> consecutive rows from <paramref name="start"/> into <paramref name="destination"/>.</summary>
    public void CopyRows(int start, int count, Span<float> destination)
    {
        var size = Geometry.Size;
        for (var i = 0; i < count; i++)
            rows[start + i].CopyTo(destination.Slice(i * size, size));
    }
}
