using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetCnn.Data;

/// <summary>
/// Names a row in an error by its text columns (an image path, an id), which are cheap to read, and digs the real
/// cause out of ML.NET's wrapping.
/// </summary>
internal static class RowDescription
{
    /// <summary>The visible text columns of <paramref name="schema"/>.</summary>
    public static DataViewSchema.Column[] TextColumns(DataViewSchema schema) =>
        schema.Where(c => !c.IsHidden && c.Type is TextDataViewType).ToArray();

    /// <summary>" (ImagePath = 'a.png')" for the row's readable text columns, or "" when it has none.</summary>
    public static string Of(DataViewRow row, IEnumerable<DataViewSchema.Column> columns) =>
        Text(row, columns) is { Length: > 0 } text ? $" ({text})" : "";

    /// <summary>"ImagePath = 'a.png'" for the row's readable text columns, or "" when it has none.</summary>
    public static string Text(DataViewRow row, IEnumerable<DataViewSchema.Column> columns)
    {
        var parts = new List<string>();
        foreach (var column in columns)
        {
            if (!row.IsColumnActive(column))
                continue;
            try
            {
                var text = default(ReadOnlyMemory<char>);
                row.GetGetter<ReadOnlyMemory<char>>(column)(ref text);
                parts.Add($"{column.Name} = '{text}'");
            }
            catch (Exception)
            {
                // The row is already failing; describe it with what can be read.
            }
        }
        return string.Join(", ", parts);
    }

    /// <summary>
    /// The error for a pass over <paramref name="data"/> that failed at or after row <paramref name="from"/> without
    /// saying which row (ML.NET's parallel cursors decode ahead): a second, lazy pass from there reads
    /// <paramref name="feature"/> row by row until one fails, and names that row by its text columns.
    /// </summary>
    public static InvalidOperationException Locate(IDataView data, DataViewSchema.Column feature, long from, Exception original)
    {
        var text = TextColumns(data.Schema);
        try
        {
            using var cursor = RowReader.LazyCursor(data, text.Append(feature));
            var getter = cursor.GetGetter<VBuffer<float>>(feature);
            var buffer = default(VBuffer<float>);
            while (cursor.MoveNext())
            {
                if (cursor.Position < from)
                    continue;
                try
                {
                    getter(ref buffer);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    return Unreadable(cursor.Position, Of(cursor, text), feature.Name, e);
                }
            }
        }
        catch (Exception)
        {
            // The second pass failed as a whole: report the first failure as it came.
        }
        return new InvalidOperationException($"A row at or after row {from} could not be read for column '{feature.Name}': {Cause(original).Message}", original);
    }

    /// <summary>ML.NET wraps an upstream failure in "… consuming source data"; the inner exception says what went wrong.</summary>
    public static Exception Cause(Exception e) =>
        e.InnerException is { } inner && e.Message.Contains("consuming source data", StringComparison.Ordinal) ? inner : e;

    /// <summary>The error for a row whose feature column could not be read.</summary>
    public static InvalidOperationException Unreadable(long position, string described, string featureColumn, Exception e) =>
        new($"Row {position}{described} could not be read for column '{featureColumn}': {Cause(e).Message}", e);
}
