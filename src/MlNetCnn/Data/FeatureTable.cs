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

    /// <summary>A table of the rows named by <paramref name="indices"/>, sharing their storage.</summary>
    public FeatureTable Subset(IEnumerable<int> indices)
    {
        var subset = new FeatureTable(Geometry, HasLabels);
        foreach (var i in indices)
        {
            subset.rows.Add(rows[i]);
            if (HasLabels)
                subset.labels.Add(labels[i]);
        }
        return subset;
    }

    /// <summary>
    /// Splits off <paramref name="fraction"/> of each class (at least one row of each, where the class has two or
    /// more), chosen by <paramref name="seed"/>. Returns (train, validation).
    /// </summary>
    public (FeatureTable Train, FeatureTable Validation) StratifiedSplit(double fraction, int seed)
    {
        var random = new Random(seed);
        var train = new List<int>();
        var validation = new List<int>();
        foreach (var cls in new[] { false, true })
        {
            var members = Enumerable.Range(0, Count).Where(i => labels[i] == cls).ToArray();
            random.Shuffle(members);
            var take = members.Length < 2 ? 0 : Math.Clamp((int)Math.Round(members.Length * fraction), 1, members.Length - 1);
            validation.AddRange(members.Take(take));
            train.AddRange(members.Skip(take));
        }
        train.Sort();
        validation.Sort();
        return (Subset(train), Subset(validation));
    }

    /// <summary>The largest value of any row (for the unscaled-input check).</summary>
    public float MaxValue()
    {
        var max = float.NegativeInfinity;
        foreach (var row in rows)
        {
            var rowMax = System.Numerics.Tensors.TensorPrimitives.Max<float>(row);
            if (rowMax > max) max = rowMax;
        }
        return max;
    }

    /// <summary>Whether every row holds exactly the same values (for the no-variance check).</summary>
    public bool AllRowsIdentical() => rows.Count > 1 && rows.Skip(1).All(r => r.AsSpan().SequenceEqual(rows[0]));

    /// <summary>The first <paramref name="perClass"/> rows of each class, in order (fewer where a class has fewer).</summary>
    public int[] FirstOfEachClass(int perClass) =>
        Enumerable.Range(0, Count).Where(i => labels[i]).Take(perClass)
            .Concat(Enumerable.Range(0, Count).Where(i => !labels[i]).Take(perClass)).ToArray();

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
