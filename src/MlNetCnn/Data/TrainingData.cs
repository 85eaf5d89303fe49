using System.Collections.Concurrent;

namespace MlNetCnn.Data;

/// <summary>
/// The training rows of a data view, known by their positions in cursor order. A first pass reads every row once
/// (labels, the input checks, and the images too when caching); each epoch then delivers the rows in a seeded
/// random order as batches. Without caching, an epoch reads the rows in chunks that fit a memory budget: each
/// chunk is one pass over the cursor that decodes only that chunk's rows, filled on a background thread while the
/// previous chunk trains. Cached and streamed epochs give the same batches.
/// </summary>
internal sealed class TrainingData
{
    // Up to three chunks live at once: one filling, one queued, one training.
    private const int ChunksInFlight = 3;

    private readonly RowReader reader;
    private readonly bool[] labels;
    private readonly List<float[]?>? cache;
    private readonly long streamingBudget;
    // Chunk buffers live as long as the data: each epoch reuses them rather than leaving the last epoch's to the GC.
    private BlockingCollection<Chunk>? chunkPool;
    private int pooledChunkRows;

    private TrainingData(RowReader reader, bool[] labels, List<float[]?>? cache, int[] train, int[] validation, float max, bool allIdentical, long streamingBudget)
    {
        this.streamingBudget = streamingBudget;
        this.reader = reader;
        this.labels = labels;
        this.cache = cache;
        TrainPositions = train;
        ValidationPositions = validation;
        MaxValue = max;
        AllRowsIdentical = allIdentical;
    }

    public ImageGeometry Geometry => reader.Geometry;

    /// <summary>The rows these positions index.</summary>
    public RowReader Reader => reader;

    /// <summary>Positions of the training rows, ascending.</summary>
    public int[] TrainPositions { get; }

    /// <summary>Positions of the rows held out for validation (ValidationFraction), ascending; empty when none.</summary>
    public int[] ValidationPositions { get; }

    public int TrainCount => TrainPositions.Length;

    public int TrainPositives => TrainPositions.Count(p => labels[p]);

    /// <summary>The largest input value over all rows (for the unscaled-input check).</summary>
    public float MaxValue { get; }

    /// <summary>Whether every row holds exactly the same image (for the no-variance check).</summary>
    public bool AllRowsIdentical { get; }

    public bool IsCached => cache is not null;

    /// <summary>Rows of the input in all, read or not.</summary>
    public int RowCount { get; private init; }

    /// <summary>Rows left out because their image could not be read (only when asked to skip them), in cursor order.</summary>
    public IReadOnlyList<UnreadableRow> Unreadable { get; private init; } = [];

    /// <summary>A checksum of the labels and pixels, so that a checkpoint is not resumed on other data.</summary>
    public string Fingerprint { get; private init; } = "";

    public bool Label(int position) => labels[position];

    /// <summary>The first pass: labels, checks, the validation split, and every image when <paramref name="cacheImages"/>.</summary>
    /// <param name="reader">The training rows.</param>
    /// <param name="cacheImages">Keep every image in memory.</param>
    /// <param name="streamingBudget">Bytes of images in memory at once when not caching.</param>
    /// <param name="validationFraction">Share of each class held out for validation; 0 for none.</param>
    /// <param name="seed">Seeds the validation split.</param>
    /// <param name="skipUnreadable">Leave out rows whose image cannot be read (listed in <see cref="Unreadable"/>) instead of failing.</param>
    /// <param name="cancellation">Stops the pass.</param>
    public static TrainingData Scan(RowReader reader, bool cacheImages, long streamingBudget, double validationFraction, int seed, bool skipUnreadable, CancellationToken cancellation)
    {
        var labels = new List<bool>();
        var cache = cacheImages ? new List<float[]?>() : null;
        var readable = new List<int>();
        var unreadable = skipUnreadable ? new List<UnreadableRow>() : null;
        var max = float.NegativeInfinity;
        float[]? first = null;
        var identical = true;
        var pixelSum = 0.0;
        // Rows left out keep their places, so positions stay cursor positions.
        void KeepPlacesUpTo(int position)
        {
            while (labels.Count < position)
            {
                labels.Add(false);
                cache?.Add(null);
            }
        }
        var rowCount = reader.Read(null, (position, features, label) =>
        {
            KeepPlacesUpTo(position);
            labels.Add(label);
            readable.Add(position);
            pixelSum += System.Numerics.Tensors.TensorPrimitives.Sum(features) * (1 + position % 7);
            var rowMax = System.Numerics.Tensors.TensorPrimitives.Max(features);
            if (rowMax > max) max = rowMax;
            if (first is null) first = features.ToArray();
            else if (identical && !features.SequenceEqual(first)) identical = false;
            cache?.Add(features.ToArray());
        }, cancellation, unreadable);
        KeepPlacesUpTo(rowCount);

        var labelArray = labels.ToArray();
        var candidates = readable.ToArray();
        var (train, validation) = validationFraction > 0
            ? StratifiedSplit(labelArray, candidates, validationFraction, seed)
            : (candidates, Array.Empty<int>());
        var labelHash = candidates.Aggregate(17L, (h, p) => unchecked(h * 31 + (labelArray[p] ? 1 : 0)));
        var skippedHash = (unreadable ?? []).Aggregate(19L, (h, r) => unchecked(h * 31 + r.Position));
        return new TrainingData(reader, labelArray, cache, train, validation, max, identical && candidates.Length > 1, streamingBudget)
        {
            Fingerprint = unreadable is { Count: > 0 } ? $"{labelHash:x}/{pixelSum:R}/skipped {unreadable.Count} {skippedHash:x}" : $"{labelHash:x}/{pixelSum:R}",
            Unreadable = unreadable ?? [],
            RowCount = rowCount,
        };
    }

    /// <summary>
    /// Holds out <paramref name="fraction"/> of each class of the rows at <paramref name="positions"/> (at least one row
    /// of a class with two or more), seeded.
    /// </summary>
    public static (int[] Train, int[] Validation) StratifiedSplit(bool[] labels, int[] positions, double fraction, int seed)
    {
        var random = new Random(seed);
        var train = new List<int>();
        var validation = new List<int>();
        foreach (var cls in new[] { false, true })
        {
            var members = positions.Where(i => labels[i] == cls).ToArray();
            random.Shuffle(members);
            var take = members.Length < 2 ? 0 : Math.Clamp((int)Math.Round(members.Length * fraction), 1, members.Length - 1);
            validation.AddRange(members.Take(take));
            train.AddRange(members.Skip(take));
        }
        train.Sort();
        validation.Sort();
        return (train.ToArray(), validation.ToArray());
    }

    /// <summary>The images and labels at <paramref name="positions"/>, in memory (from the cache, or one pass that decodes only them).</summary>
    public FeatureTable Rows(IReadOnlyList<int> positions, CancellationToken cancellation)
    {
        var table = FeatureTable.Empty(Geometry);
        if (cache is not null)
        {
            foreach (var p in positions)
                table.Add(cache[p]!, labels[p]);
            return table;
        }
        var slot = new Dictionary<int, int>();
        for (var i = 0; i < positions.Count; i++) slot[positions[i]] = i;
        var rows = new float[positions.Count][];
        reader.Read(slot.ContainsKey, (position, features, _) => rows[slot[position]] = features.ToArray(), cancellation);
        for (var i = 0; i < rows.Length; i++)
            table.Add(rows[i] ?? throw new InvalidOperationException($"Row {positions[i]} was not there on a second reading; the input must give the same rows each time it is read."), labels[positions[i]]);
        return table;
    }

    /// <summary>The first <paramref name="perClass"/> training positions of each class.</summary>
    public int[] FirstOfEachClass(int perClass) =>
        TrainPositions.Where(p => labels[p]).Take(perClass).Concat(TrainPositions.Where(p => !labels[p]).Take(perClass)).ToArray();

    /// <summary>
    /// The batches of one epoch, in the order of <paramref name="order"/> (a permutation of the training positions).
    /// A final batch of one row is left out: batch normalisation cannot train on it.
    /// </summary>
    public IEnumerable<TrainingBatch> Batches(int[] order, int batchSize, CancellationToken cancellation)
    {
        var size = Geometry.Size;
        if (cache is not null)
        {
            var pixels = new float[batchSize * size];
            var targets = new float[batchSize];
            for (var start = 0; start + 1 < order.Length; start += batchSize)
            {
                var count = Math.Min(batchSize, order.Length - start);
                if (count < 2) yield break;
                for (var i = 0; i < count; i++)
                {
                    cache[order[start + i]]!.CopyTo(pixels, i * size);
                    targets[i] = labels[order[start + i]] ? 1f : 0f;
                }
                yield return new TrainingBatch(pixels, 0, targets, 0, count, size);
            }
            yield break;
        }

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
