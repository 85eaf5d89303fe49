namespace MlNetCnn.Data;

/// <summary>Where an epoch's batches come from: every image in memory, or streamed from the input.</summary>
internal interface IBatchSource
{
    /// <summary>The batches in the order of <paramref name="order"/>; a final batch of one row is left out (batch normalisation cannot train on it).</summary>
    IEnumerable<TrainingBatch> Batches(int[] order, int batchSize, CancellationToken cancellation);

    /// <summary>The images and labels at <paramref name="positions"/>, in memory.</summary>
    FeatureTable Rows(IReadOnlyList<int> positions, CancellationToken cancellation);

    /// <summary>How the images are held, for the training log.</summary>
    string Describe(int batchSize);
}

/// <summary>Every training image decoded once, in memory; batches are copied out of it.</summary>
internal sealed class CachedBatches(List<float[]?> cache, bool[] labels, ImageGeometry geometry) : IBatchSource
{
    public IEnumerable<TrainingBatch> Batches(int[] order, int batchSize, CancellationToken cancellation)
    {
        var size = geometry.Size;
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
    }

    public FeatureTable Rows(IReadOnlyList<int> positions, CancellationToken cancellation)
    {
        var table = FeatureTable.Empty(geometry);
        foreach (var p in positions)
            table.Add(cache[p]!, labels[p]);
        return table;
    }

    public string Describe(int batchSize) => "cached in memory";
}
