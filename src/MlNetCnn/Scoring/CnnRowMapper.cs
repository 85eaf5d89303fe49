using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetCnn.Data;

namespace MlNetCnn.Scoring;

/// <summary>Scores one row at a time, as prediction engines ask; the outputs are computed once per row position.</summary>
internal sealed class CnnRowMapper : IRowToRowMapper
{
    private readonly CnnTransformer parent;
    private readonly DataViewSchema.Column featureColumn;

    public CnnRowMapper(CnnTransformer parent, DataViewSchema inputSchema, DataViewSchema.Column featureColumn)
    {
        this.parent = parent;
        this.featureColumn = featureColumn;
        InputSchema = inputSchema;
        OutputSchema = OutputColumns.Build(inputSchema, parent.Task);
    }

    public DataViewSchema InputSchema { get; }

    public DataViewSchema OutputSchema { get; }

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns)
    {
        var needed = new HashSet<int>();
        foreach (var column in dependingColumns)
        {
            if (column.Index < InputSchema.Count)
                needed.Add(column.Index);
            else
                needed.Add(featureColumn.Index);
        }
        return needed.Order().Select(i => InputSchema[i]);
    }

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns) =>
        new Row(this, input, OutputColumns.Active(activeColumns, InputSchema.Count, parent.Task));

    private sealed class Row : DataViewRow
    {
        private readonly CnnRowMapper mapper;
        private readonly DataViewRow input;
        private readonly bool[] active;
        private readonly Delegate[] getters;
        private readonly ValueGetter<VBuffer<float>>? features;
        private readonly float[] pixels;
        private readonly float[] outputs;
        private VBuffer<float> buffer;
        private long scoredPosition = -1;

        public Row(CnnRowMapper mapper, DataViewRow input, bool[] active)
        {
            this.mapper = mapper;
            this.input = input;
            this.active = active;
            pixels = new float[mapper.parent.Geometry.Size];
            if (active.Any(a => a))
                features = input.GetGetter<VBuffer<float>>(mapper.featureColumn);
            outputs = new float[mapper.parent.Task.OutputsPerImage];
            getters = OutputColumns.Getters(mapper.parent.Task, Outputs, mapper.parent.Threshold);
        }

        public override DataViewSchema Schema => mapper.OutputSchema;

        public override long Position => input.Position;

        public override long Batch => input.Batch;

        public override ValueGetter<DataViewRowId> GetIdGetter() => input.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) =>
            OutputColumns.IsActive(column, mapper.InputSchema, input, active);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) =>
            OutputColumns.GetGetter<TValue>(column, mapper.InputSchema, input, active, getters);

        private float[] Outputs()
        {
            if (scoredPosition != input.Position)
            {
                try
                {
                    features!(ref buffer);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    throw RowDescription.Unreadable(input.Position, RowDescription.Of(input, RowDescription.TextColumns(mapper.InputSchema)), mapper.featureColumn.Name, e);
                }
                FeatureValues.CopyChecked(buffer, pixels, input.Position, mapper.parent.Geometry);
                mapper.parent.Scorer.Score(pixels, outputs);
                scoredPosition = input.Position;
            }
            return outputs;
        }
    }
}
