using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetCnn.Images;

/// <summary>
/// The column a <see cref="CnnImageTransformer"/> adds: the input's columns pass through, and the image column is
/// decoded from the path column when, and only when, its getter is called (once per row).
/// </summary>
internal static class ImageColumn
{
    /// <summary>The input schema's columns, then the image column (hiding a same-named input column).</summary>
    public static DataViewSchema Build(DataViewSchema input, CnnImageTransformer parent)
    {
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(input);
        var g = parent.Geometry;
        builder.AddColumn(parent.OutputColumnName, new VectorDataViewType(NumberDataViewType.Single, g.Channels, g.Height, g.Width));
        return builder.ToSchema();
    }

    /// <summary>Reads the current row's image for the output column of a row or cursor.</summary>
    public sealed class Source
    {
        private readonly CnnImageTransformer parent;
        private readonly DataViewRow input;
        private readonly ValueGetter<ReadOnlyMemory<char>>? path;
        private readonly float[] pixels;
        private ReadOnlyMemory<char> text;
        private long decodedPosition = -1;

        public Source(CnnImageTransformer parent, DataViewRow input, DataViewSchema.Column pathColumn, bool active)
        {
            this.parent = parent;
            this.input = input;
            Active = active;
            pixels = active ? new float[parent.Geometry.Size] : Array.Empty<float>();
            if (active)
                path = input.GetGetter<ReadOnlyMemory<char>>(pathColumn);
        }

        /// <summary>Whether the image column was asked for.</summary>
        public bool Active { get; }

        /// <summary>Whether output column <paramref name="column"/> is active (input columns: as the input says).</summary>
        public bool IsActive(DataViewSchema.Column column, DataViewSchema inputSchema) =>
            column.Index < inputSchema.Count ? input.IsColumnActive(inputSchema[column.Index]) : Active;

        /// <summary>The getter of output <paramref name="column"/>: passed through, or the image column's.</summary>
        public ValueGetter<T> GetGetter<T>(DataViewSchema.Column column, DataViewSchema inputSchema)
        {
            if (column.Index < inputSchema.Count)
                return input.GetGetter<T>(inputSchema[column.Index]);
            if (!Active)
                throw new InvalidOperationException($"Column '{column.Name}' was not requested.");
            ValueGetter<VBuffer<float>> getter = Get;
            return getter as ValueGetter<T> ?? throw new InvalidOperationException(
                $"Column '{column.Name}' is {column.Type}; a getter of {typeof(T).Name} was asked for.");
        }

        private void Get(ref VBuffer<float> value)
        {
            if (decodedPosition != input.Position)
            {
                path!(ref text);
                var file = text.ToString();
                if (string.IsNullOrWhiteSpace(file))
                    throw new InvalidDataException($"The image path in column '{parent.InputColumnName}' is empty.");
                if (parent.ImageFolder is { } folder)
                    file = Path.Combine(folder, file);
                ImageDecoder.Read(file, parent.Settings, pixels);
                decodedPosition = input.Position;
            }
            var editor = VBufferEditor.Create(ref value, pixels.Length);
            pixels.CopyTo(editor.Values);
            value = editor.Commit();
        }
    }
}

/// <summary>The lazy output of <see cref="CnnImageTransformer.Transform"/>.</summary>
internal sealed class ImageColumnView : IDataView
{
    private readonly CnnImageTransformer parent;
    private readonly IDataView input;
    private readonly DataViewSchema.Column pathColumn;

    public ImageColumnView(CnnImageTransformer parent, IDataView input, DataViewSchema.Column pathColumn)
    {
        this.parent = parent;
        this.input = input;
        this.pathColumn = pathColumn;
        Schema = ImageColumn.Build(input.Schema, parent);
    }

    public bool CanShuffle => input.CanShuffle;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var (inputColumns, active) = Needed(columnsNeeded);
        return new Cursor(this, input.GetRowCursor(inputColumns, rand), active);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
    {
        var (inputColumns, active) = Needed(columnsNeeded);
        return input.GetRowCursorSet(inputColumns, n, rand).Select(c => (DataViewRowCursor)new Cursor(this, c, active)).ToArray();
    }

    private (List<DataViewSchema.Column> Input, bool Active) Needed(IEnumerable<DataViewSchema.Column> columnsNeeded)
    {
        var inputCount = input.Schema.Count;
        var needed = columnsNeeded.ToList();
        var active = needed.Any(c => c.Index == inputCount);
        var inputColumns = needed.Where(c => c.Index < inputCount).Select(c => input.Schema[c.Index]).ToList();
        if (active && inputColumns.All(c => c.Index != pathColumn.Index))
            inputColumns.Add(pathColumn);
        return (inputColumns, active);
    }

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly ImageColumnView view;
        private readonly DataViewRowCursor input;
        private readonly ImageColumn.Source source;

        public Cursor(ImageColumnView view, DataViewRowCursor input, bool active)
        {
            this.view = view;
            this.input = input;
            source = new ImageColumn.Source(view.parent, input, view.pathColumn, active);
        }

        public override DataViewSchema Schema => view.Schema;

        public override long Position => input.Position;

        public override long Batch => input.Batch;

        public override ValueGetter<DataViewRowId> GetIdGetter() => input.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) => source.IsActive(column, view.input.Schema);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => source.GetGetter<TValue>(column, view.input.Schema);

        public override bool MoveNext() => input.MoveNext();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                input.Dispose();
            base.Dispose(disposing);
        }
    }
}

/// <summary>One row at a time, as prediction engines ask.</summary>
internal sealed class ImageRowMapper : IRowToRowMapper
{
    private readonly CnnImageTransformer parent;
    private readonly DataViewSchema.Column pathColumn;

    public ImageRowMapper(CnnImageTransformer parent, DataViewSchema inputSchema, DataViewSchema.Column pathColumn)
    {
        this.parent = parent;
        this.pathColumn = pathColumn;
        InputSchema = inputSchema;
        OutputSchema = ImageColumn.Build(inputSchema, parent);
    }

    public DataViewSchema InputSchema { get; }

    public DataViewSchema OutputSchema { get; }

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns) =>
        dependingColumns.Select(c => c.Index < InputSchema.Count ? c.Index : pathColumn.Index).Distinct().Order().Select(i => InputSchema[i]);

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns) =>
        new Row(this, input, activeColumns.Any(c => c.Index == InputSchema.Count));

    private sealed class Row(ImageRowMapper mapper, DataViewRow input, bool active) : DataViewRow
    {
        private readonly ImageColumn.Source source = new(mapper.parent, input, mapper.pathColumn, active);

        public override DataViewSchema Schema => mapper.OutputSchema;

        public override long Position => input.Position;

        public override long Batch => input.Batch;

        public override ValueGetter<DataViewRowId> GetIdGetter() => input.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) => source.IsActive(column, mapper.InputSchema);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => source.GetGetter<TValue>(column, mapper.InputSchema);
    }
}
