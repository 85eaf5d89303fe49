using System.Collections.Concurrent;

namespace MlNetCnn.Data;

/// <summary>
/// Training images read again every epoch, in chunks that fit a memory budget: each chunk is one pass over the cursor
/// that decodes only that chunk's rows, filled on a background thread while the previous chunk trains.
/// </summary>
internal sealed class StreamedBatches : IBatchSource
{
    // Up to three chunks live at once: one filling, one queued, one training.
    private const int ChunksInFlight = 3;

    private readonly RowReader reader;
    private readonly bool[] labels;
    private readonly long streamingBudget;
    // Chunk buffers live as long as the data: each epoch reuses them rather than leaving the last epoch's to the GC.
    private BlockingCollection<Chunk>? chunkPool;
    private int pooledChunkRows;

    public StreamedBatches(RowReader reader, bool[] labels, long streamingBudget)
    {
        this.reader = reader;
        this.labels = labels;
        this.streamingBudget = streamingBudget;
    }

    private ImageGeometry Geometry => reader.Geometry;

    public string Describe(int batchSize) => $"streamed in chunks of {ChunkRows(batchSize)}";

    public IEnumerable<TrainingBatch> Batches(int[] order, int batchSize, CancellationToken cancellation)
    {
        var size = Geometry.Size;
        foreach (var chunk in StreamChunks(order, batchSize, cancellation))
        {
            try
            {
                for (var start = 0; start < chunk.Count; start += batchSize)
                {
                    var count = Math.Min(batchSize, chunk.Count - start);
                    if (count < 2) yield break;
                    yield return new TrainingBatch(chunk.Pixels, start * size, chunk.Targets, start, count, size);
                }
            }
            finally
            {
                chunk.Release();
            }
        }
    }

    /// <summary>One pass that decodes only the rows at <paramref name="positions"/>.</summary>
    public FeatureTable Rows(IReadOnlyList<int> positions, CancellationToken cancellation)
    {
        var table = FeatureTable.Empty(Geometry);
        var slot = new Dictionary<int, int>();
        for (var i = 0; i < positions.Count; i++) slot[positions[i]] = i;
        var rows = new float[positions.Count][];
        reader.Read(slot.ContainsKey, (position, features, _) => rows[slot[position]] = features.ToArray(), cancellation);
        for (var i = 0; i < rows.Length; i++)
            table.Add(rows[i] ?? throw new InvalidOperationException($"Row {positions[i]} was not there on a second reading; the input must give the same rows each time it is read."), labels[positions[i]]);
        return table;
    }

    /// <summary>Rows per streamed chunk: whole batches, within the memory budget, at least one batch.</summary>
    public int ChunkRows(int batchSize)
    {
        var rowBytes = (long)Geometry.Size * sizeof(float);
        var batches = streamingBudget / ChunksInFlight / (rowBytes * batchSize);
        return (int)Math.Max(1, batches) * batchSize;
    }

    private sealed class Chunk
    {
        private readonly BlockingCollection<Chunk> pool;

        public Chunk(int rows, int size, BlockingCollection<Chunk> pool)
        {
            Pixels = new float[rows * size];
            Targets = new float[rows];
            this.pool = pool;
        }

        public float[] Pixels { get; }
        public float[] Targets { get; }
        public int Count { get; set; }

        public void Release() => pool.Add(this);
    }

    /// <summary>The reusable chunk buffers, topped up to <paramref name="count"/> (an epoch cut short may have kept one).</summary>
    private BlockingCollection<Chunk> ChunkPool(int chunkRows, int count)
    {
        if (chunkPool is null || pooledChunkRows != chunkRows)
        {
            chunkPool = new BlockingCollection<Chunk>();
            pooledChunkRows = chunkRows;
        }
        while (chunkPool.Count < count)
            chunkPool.Add(new Chunk(chunkRows, Geometry.Size, chunkPool));
        return chunkPool;
    }

    /// <summary>Fills chunks on a background thread, one cursor pass each, and hands them over in order.</summary>
    private IEnumerable<Chunk> StreamChunks(int[] order, int batchSize, CancellationToken cancellation)
    {
        var size = Geometry.Size;
        var chunkRows = Math.Min(ChunkRows(batchSize), Math.Max(order.Length, 1));
        var chunkCount = (order.Length + chunkRows - 1) / chunkRows;
        var rank = new Dictionary<int, int>(order.Length);
        for (var i = 0; i < order.Length; i++) rank[order[i]] = i;

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var pool = ChunkPool(chunkRows, Math.Min(ChunksInFlight, chunkCount));
        using var ready = new BlockingCollection<Chunk>(boundedCapacity: ChunksInFlight);
        var producer = Task.Run(() =>
        {
            try
            {
                for (var k = 0; k < chunkCount; k++)
                {
                    var chunk = pool.Take(stop.Token);
                    var first = k * chunkRows;
                    chunk.Count = Math.Min(chunkRows, order.Length - first);
                    var filled = 0;
                    reader.Read(p => rank.TryGetValue(p, out var r) && r >= first && r < first + chunk.Count, (position, features, _) =>
                    {
                        var slot = rank[position] - first;
                        features.CopyTo(chunk.Pixels.AsSpan(slot * size, size));
                        chunk.Targets[slot] = labels[position] ? 1f : 0f;
                        filled++;
                    }, stop.Token);
                    if (filled != chunk.Count)
                        throw new InvalidOperationException($"A pass over the input found {filled} of the {chunk.Count} rows it read before; the input must give the same rows each time it is read.");
                    ready.Add(chunk, stop.Token);
                }
            }
            finally
            {
                ready.CompleteAdding();
            }
        }, stop.Token);

        var completed = false;
        try
        {
            foreach (var chunk in ready.GetConsumingEnumerable(stop.Token))
                yield return chunk;
            completed = true;
        }
        finally
        {
            if (!completed)
            {
                stop.Cancel();
                try { producer.Wait(); }
                catch (AggregateException) { /* stopping early: the consumer's own exception is the one to report */ }
            }
        }
        // Surface the producer's failure (a bad image, a changed input) on the training thread, as it was thrown.
        producer.GetAwaiter().GetResult();
    }
}
