using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetCnn.Data;

/// <summary>
/// Walks an <see cref="IDataView"/> in cursor order, handing each wanted row's image vector (and label) to a sink.
/// Rows that are not wanted are passed over without reading their features, so an upstream image loader does not
/// decode them. A row that cannot be read is reported with its position and the row's text columns (its image path),
/// or, when the caller collects unreadable rows, left out and added to that list.
/// </summary>
internal sealed class RowReader
{
    private readonly IDataView data;
    private readonly DataViewSchema.Column features;
    private readonly DataViewSchema.Column? label;
    private readonly DataViewSchema.Column[] context;
    private readonly RowSet set;

    /// <summary>Receives one row: its position in cursor order, its image vector (valid during the call) and its label.</summary>
    public delegate void RowSink(int position, ReadOnlySpan<float> features, bool label);

    /// <summary>Reads <paramref name="featureColumn"/> (and <paramref name="labelColumn"/>, unless null) of <paramref name="data"/>, images of <paramref name="geometry"/>; <paramref name="set"/> says which input of the run it is, for unreadable rows.</summary>
    public RowReader(IDataView data, string featureColumn, string? labelColumn, ImageGeometry geometry, RowSet set)
    {
        this.data = data;
        this.set = set;
        Geometry = geometry;
        features = data.Schema[featureColumn];
        label = labelColumn is null ? null : data.Schema[labelColumn];
        // Text columns name the row in errors (an image path, an id); reading them is cheap.
        context = RowDescription.TextColumns(data.Schema);
    }

    /// <summary>The geometry of every row.</summary>
    public ImageGeometry Geometry { get; }

    /// <summary>Whether rows carry labels.</summary>
    public bool HasLabels => label is not null;

    /// <summary>Reads every row for which <paramref name="wanted"/> is true (all rows when null); returns the number of rows seen.</summary>
    /// <param name="wanted">Which positions to read; null for all.</param>
    /// <param name="sink">Receives each row read.</param>
    /// <param name="cancellation">Stops the pass between rows.</param>
    /// <param name="unreadable">
    /// When given, a wanted row whose image or label cannot be read is added here and passed over; when null, it fails
    /// the pass. A failure of the cursor itself (it cannot move on) always fails the pass.
    /// </param>
    public int Read(Func<int, bool>? wanted, RowSink sink, CancellationToken cancellation = default, List<UnreadableRow>? unreadable = null)
    {
        var active = new List<DataViewSchema.Column> { features };
        if (label is { } l) active.Add(l);
        active.AddRange(context);
        using var cursor = LazyCursor(data, active);
        var featureGetter = cursor.GetGetter<VBuffer<float>>(features);
        var labelGetter = label is { } lc ? cursor.GetGetter<bool>(lc) : null;
        var buffer = default(VBuffer<float>);
        var dense = new float[Geometry.Size];
        var position = 0;
        while (true)
        {
            cancellation.ThrowIfCancellationRequested();
            try
            {
                if (!cursor.MoveNext())
                    break;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw RowDescription.Locate(data, features, position, e);
            }
            if (wanted is null || wanted(position))
            {
                var value = false;
                try
                {
                    featureGetter(ref buffer);
                    labelGetter?.Invoke(ref value);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    if (unreadable is null)
                        throw RowError(position, cursor, e);
                    unreadable.Add(new UnreadableRow(set, position, RowDescription.Text(cursor, context), RowDescription.Cause(e).Message));
                    position++;
                    continue;
                }
                if (buffer.Length != Geometry.Size)
                    throw new InvalidOperationException($"Row {position} of column '{features.Name}' has {buffer.Length} values; images of {Geometry} need {Geometry.Size}.");
                buffer.CopyTo(dense);
                sink(position, dense, value);
            }
            position++;
        }
        return position;
    }

    /// <summary>
    /// One cursor, asked for as a set of one: ML.NET then builds no splitter that would decode every row ahead on
    /// worker threads, so getters stay lazy (rows not read are not decoded) and an error surfaces at its row.
    /// </summary>
    public static DataViewRowCursor LazyCursor(IDataView data, IEnumerable<DataViewSchema.Column> columns)
    {
        var active = columns.DistinctBy(c => c.Index).ToArray();
        var cursors = data.GetRowCursorSet(active, 1);
        if (cursors.Length == 1)
            return cursors[0];
        foreach (var extra in cursors) extra.Dispose();
        return data.GetRowCursor(active);
    }

    private InvalidOperationException RowError(int position, DataViewRowCursor cursor, Exception e) =>
        RowDescription.Unreadable(position, RowDescription.Of(cursor, context), features.Name, e);
}
