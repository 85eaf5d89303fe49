using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetCnn.Data;

namespace MlNetCnn.Scoring;

/// <summary>
/// The lazy output of <see cref="CnnTransformer.Transform"/>. Its cursor passes the input's columns through and
/// scores rows <see cref="CnnTransformer.BatchSize"/> at a time.
/// </summary>
/// <remarks>
/// A cursor walks the input twice in step: the main cursor serves the pass-through columns; a second cursor, over
/// the feature column only, runs ahead one batch and fills the outputs. Both see the input in the same order, since
/// neither is shuffled, so row i of one is row i of the other. Upstream work for the feature column (decoding,
/// resizing) is done once unless the consumer also asks for the feature column itself.
/// </remarks>
internal sealed class CnnScoredDataView : IDataView
{
    private readonly CnnTransformer parent;
    private readonly IDataView input;
    private readonly DataViewSchema.Column featureColumn;

    public CnnScoredDataView(CnnTransformer parent, IDataView input, DataViewSchema.Column featureColumn)
    {
        this.parent = parent;
        this.input = input;
        this.featureColumn = featureColumn;
        Schema = OutputColumns.Build(input.Schema, parent.Task);
    }

    public bool CanShuffle => false;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var needed = columnsNeeded.ToList();
        var inputCount = input.Schema.Count;
        var active = OutputColumns.Active(needed, inputCount, parent.Task);
        var passThrough = needed.Where(c => c.Index < inputCount).Select(c => input.Schema[c.Index]).ToList();
        var main = input.GetRowCursor(passThrough);
        DataViewRowCursor? ahead = null;
        try
        {
            if (active.Any(a => a))
                ahead = input.GetRowCursor(new[] { featureColumn });
            return new Cursor(this, main, ahead, active);
        }
        catch
        {
            main.Dispose();
            ahead?.Dispose();
            throw;
        }
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        new[] { GetRowCursor(columnsNeeded, rand) };

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly CnnScoredDataView view;
        private readonly DataViewRowCursor main;
        private readonly DataViewRowCursor? ahead;
        private readonly ValueGetter<VBuffer<float>>? features;
        private readonly bool[] active;
        private readonly Delegate[] getters;
        private readonly float[] pixels;
        // The batch's outputs, the task's width per row; the current row's are copied into `current` for the getters.
        private readonly float[] outputs;
        private readonly float[] current;
        private readonly int width;
        private VBuffer<float> buffer;
        private int batchCount;
        private int indexInBatch = -1;
        private bool disposed;

        public Cursor(CnnScoredDataView view, DataViewRowCursor main, DataViewRowCursor? ahead, bool[] active)
        {
            this.view = view;
            this.main = main;
            this.ahead = ahead;
            this.active = active;
            var batchSize = view.parent.BatchSize;
            width = view.parent.Task.OutputsPerImage;
            outputs = new float[batchSize * width];
            current = new float[width];
            pixels = ahead is null ? Array.Empty<float>() : new float[batchSize * view.parent.Geometry.Size];
            if (ahead is not null)
                features = ahead.GetGetter<VBuffer<float>>(view.featureColumn);
            getters = OutputColumns.Getters(view.parent.Task, CurrentOutputs, view.parent.Threshold);
        }

        public override DataViewSchema Schema => view.Schema;

        public override long Position => main.Position;

        public override long Batch => main.Batch;

        public override ValueGetter<DataViewRowId> GetIdGetter() => main.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) =>
            OutputColumns.IsActive(column, view.input.Schema, main, active);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) =>
            OutputColumns.GetGetter<TValue>(column, view.input.Schema, main, active, getters);

        public override bool MoveNext()
        {
            if (disposed || !main.MoveNext())
                return false;
            if (ahead is null)
                return true;
            indexInBatch++;
            if (indexInBatch >= batchCount)
                ScoreNextBatch();
            if (indexInBatch >= batchCount)
                throw new InvalidOperationException("The input yielded fewer rows for its feature column than for its other columns; it must give the same rows each time it is read.");
            return true;
        }

        private void ScoreNextBatch()
        {
            var size = view.parent.Geometry.Size;
            var count = 0;
            while (count < view.parent.BatchSize)
            {
                var position = ahead!.Position + 1;
                try
                {
                    if (!ahead.MoveNext())
                        break;
                    features!(ref buffer);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    throw RowDescription.Locate(view.input, view.featureColumn, position, e);
                }
                FeatureValues.CopyChecked(buffer, pixels.AsSpan(count * size, size), ahead.Position, view.parent.Geometry);
                count++;
            }
            view.parent.Scorer.Score(pixels.AsSpan(0, count * size), outputs.AsSpan(0, count * width));
            batchCount = count;
            indexInBatch = 0;
        }

        private float[] CurrentOutputs()
        {
            outputs.AsSpan(indexInBatch * width, width).CopyTo(current);
            return current;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposed)
                return;
            if (disposing)
            {
                main.Dispose();
                ahead?.Dispose();
            }
            disposed = true;
            base.Dispose(disposing);
        }
    }
}
