using MlNetCnn.Tasks;
namespace MlNetCnn.Data;

/// <summary>
/// The training rows of a data view, known by their positions in cursor order. A first pass reads every row once
/// (labels, the input checks, and the images too when caching); each epoch then gets the rows in a seeded random
/// order as batches from its <see cref="IBatchSource"/>: <see cref="CachedBatches"/> or <see cref="StreamedBatches"/>,
/// which give the same batches.
/// </summary>
internal sealed class TrainingData
{
    private readonly RowReader reader;
    private readonly bool[] labels;
    private readonly IBatchSource source;

    private TrainingData(RowReader reader, bool[] labels, IBatchSource source, int[] train, int[] validation, float max, bool allIdentical)
    {
        this.reader = reader;
        this.labels = labels;
        this.source = source;
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

    public bool IsCached => source is CachedBatches;

    /// <summary>Rows of the input in all, read or not.</summary>
    public int RowCount { get; private init; }

    /// <summary>Rows left out because their image could not be read (only when asked to skip them), in cursor order.</summary>
    public IReadOnlyList<UnreadableRow> Unreadable { get; private init; } = [];

    /// <summary>The run's rows left out, each once: these, then <paramref name="validation"/>'s.</summary>
    public UnreadableRow[] UnreadableWith(ValidationData? validation) => [.. Unreadable, .. validation?.Unreadable ?? []];

    /// <summary>A checksum of the labels and pixels, so that a checkpoint is not resumed on other data.</summary>
    public string Fingerprint { get; private init; } = "";

    public bool Label(int position) => labels[position];

    /// <summary>Checks <paramref name="schema"/>'s label and feature columns and that the network fits the images; returns their geometry.</summary>
    public static ImageGeometry CheckInput(Microsoft.ML.DataViewSchema schema, CnnOptions options, NetworkKinds.NetworkKind network)
    {
        ColumnChecks.CheckLabel(schema, options.LabelColumnName, CnnTask.Of(options));
        var geometry = ColumnChecks.FeatureGeometry(schema, options);
        network.CheckFits(geometry);
        return geometry;
    }

    /// <summary>
    /// The training rows of <paramref name="input"/> as <paramref name="options"/> ask (cached or streamed, a held-out
    /// share, unreadable rows skipped or fatal), after the first pass; <see cref="CheckRows"/> checks what it found.
    /// </summary>
    public static TrainingData FromInput(Microsoft.ML.IDataView input, ImageGeometry geometry, CnnOptions options, int seed)
    {
        var reader = new RowReader(input, options.FeatureColumnName, options.LabelColumnName, geometry, RowSet.Training);
        return Scan(reader, options.CacheImages, options.StreamingMemoryBytes, options.ValidationSet is null ? options.ValidationFraction : 0, seed,
            options.SkipUnreadableRows, options.CancellationToken);
    }

    /// <summary>Checks that the rows read can train a binary classifier on <paramref name="options"/>' label column.</summary>
    /// <exception cref="ArgumentException">No row, one row, one class, or (skipping) no readable row.</exception>
    public void CheckRows(CnnOptions options)
    {
        if (RowCount > 0 && Unreadable.Count == RowCount)
            throw new ArgumentException($"None of the {RowCount} training rows could be read (SkipUnreadableRows left them all out); the first: {Unreadable[0]}.");
        var (count, positives) = (TrainCount, TrainPositives);
        if (count == 0)
            throw new ArgumentException("The training data has no rows.");
        if (count < 2)
            throw new ArgumentException($"The training data has {count} row; batch normalisation needs at least 2.");
        if (positives == 0 || positives == count)
            throw new ArgumentException(
                $"{Diagnostics.AlarmCodes.OneClass} one class: the training data holds one class only: all {count} rows of '{options.LabelColumnName}' are {(positives == 0 ? "false" : "true")}. " +
                "A binary classifier needs examples of both classes; check the label column and how it was loaded.");
    }

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
        IBatchSource source = cache is not null ? new CachedBatches(cache, labelArray, reader.Geometry) : new StreamedBatches(reader, labelArray, streamingBudget);
        return new TrainingData(reader, labelArray, source, train, validation, max, identical && candidates.Length > 1)
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
    public FeatureTable Rows(IReadOnlyList<int> positions, CancellationToken cancellation) => source.Rows(positions, cancellation);

    /// <summary>The first <paramref name="perClass"/> training positions of each class.</summary>
    public int[] FirstOfEachClass(int perClass) =>
        TrainPositions.Where(p => labels[p]).Take(perClass).Concat(TrainPositions.Where(p => !labels[p]).Take(perClass)).ToArray();

    /// <summary>
    /// The batches of one epoch, in the order of <paramref name="order"/> (a permutation of the training positions).
    /// A final batch of one row is left out: batch normalisation cannot train on it.
    /// </summary>
    public IEnumerable<TrainingBatch> Batches(int[] order, int batchSize, CancellationToken cancellation) => source.Batches(order, batchSize, cancellation);

    /// <summary>How the epochs get their images: "cached in memory", or streamed in chunks of so many rows.</summary>
    public string DescribeSource(int batchSize) => source.Describe(batchSize);

    /// <summary>
    /// What a checkpoint must have been made with to be resumed by this run: geometry, network, seed, rows, batch
    /// size, and a checksum of the labels and pixels.
    /// </summary>
    public string CheckpointFingerprint(string network, int seed, int batchSize) =>
        $"{Geometry} {network} seed {seed} rows {TrainCount} batch {batchSize} data {Fingerprint}";

}
