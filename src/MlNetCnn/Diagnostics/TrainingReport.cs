namespace MlNetCnn.Diagnostics;

/// <summary>
/// What a training run produced besides the network: its history, alarms and best epoch, the learning-rate search, the
/// rows it left out, and the precision it computed in. Plain data, saved with the model in a stream of its own
/// (see docs/model-format.md); a model read from a format that kept less has the parts it kept.
/// </summary>
public sealed class TrainingReport
{
    internal TrainingReport(IReadOnlyList<EpochRecord> history, int bestEpoch, LearningRateFinderResult? learningRateSearch,
        IReadOnlyList<UnreadableRow> unreadableRows, int countWithoutRows, Precision precision, string? precisionReason)
    {
        History = history;
        BestEpoch = bestEpoch;
        LearningRateSearch = learningRateSearch;
        UnreadableRows = unreadableRows;
        CountWithoutRows = countWithoutRows;
        Precision = precision;
        PrecisionReason = precisionReason;
    }

    /// <summary>A report of nothing: a model that was not trained by Fit, or whose format kept no history.</summary>
    internal static TrainingReport Empty { get; } = new([], 0, null, [], 0, Precision.Float32, null);

    /// <summary>One record per training epoch, in order (empty for a model saved by a format that did not keep it).</summary>
    public IReadOnlyList<EpochRecord> History { get; }

    /// <summary>The epoch whose weights the network holds (the best one under early stopping; 0 when unknown).</summary>
    public int BestEpoch { get; }

    /// <summary>Every alarm raised while training, in order.</summary>
    public IReadOnlyList<Alarm> Alarms => History.SelectMany(r => r.Alarms).ToArray();

    /// <summary>
    /// The learning-rate range test that chose the training rate (<see cref="CnnOptions.AutoLearningRate"/>); null when
    /// the rate was given, or for a model saved by a format that did not keep it.
    /// </summary>
    public LearningRateFinderResult? LearningRateSearch { get; }

    /// <summary>
    /// The rows <see cref="CnnOptions.SkipUnreadableRows"/> left out of training and validation, each once (training rows
    /// first, each set in input order); empty when none were, or for a model saved before format 0x00010007 (see
    /// <see cref="UnreadableRowCount"/>).
    /// </summary>
    public IReadOnlyList<UnreadableRow> UnreadableRows { get; }

    /// <summary>
    /// How many rows were left out: <see cref="UnreadableRows"/>' count, or for a model saved by formats 0x00010003 to
    /// 0x00010006, which kept a count on every epoch record and not the rows, that count.
    /// </summary>
    public int UnreadableRowCount => Math.Max(UnreadableRows.Count, CountWithoutRows);

    // An older model's count of rows left out, whose rows it did not keep.
    internal int CountWithoutRows { get; }

    /// <summary>
    /// The precision training computed in: what <see cref="CnnOptions.Precision"/> came to (Auto resolved), as
    /// <see cref="CnnTransformer.TrainingPrecision"/> (which scoring's Auto follows). Float32 for a model saved before
    /// format 0x00010009.
    /// </summary>
    public Precision Precision { get; }

    /// <summary>Why training computed in <see cref="Precision"/>, as the run said it; null for a model saved before the report had its own stream.</summary>
    public string? PrecisionReason { get; }
}
