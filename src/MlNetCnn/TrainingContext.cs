using MlNetCnn.Diagnostics;

namespace MlNetCnn;

/// <summary>
/// What a <see cref="ITrainingCallback"/> sees of the run — the network being trained, the optimiser's parameter
/// groups, the last batch's outputs and targets, the history — and what it may change: the learning rate (the base
/// rate and each group's scale), which parts of the network are frozen, and whether training goes on.
/// </summary>
public sealed class TrainingContext
{
    private readonly List<EpochRecord> history;
    private double learningRate;

    internal TrainingContext(int epochs, int batchesPerEpoch, double learningRate, List<EpochRecord> history, TrainingNetwork network, TrainingOptimizer optimizer,
        Precision precision = Precision.Float32, string precisionReason = "Precision Float32.", TimeSpan? timeBudget = null, System.Diagnostics.Stopwatch? fitClock = null)
    {
        TimeBudget = timeBudget;
        this.fitClock = fitClock ?? System.Diagnostics.Stopwatch.StartNew();
        Network = network;
        Optimizer = optimizer;
        Precision = precision;
        PrecisionReason = precisionReason;
        Epochs = epochs;
        BatchesPerEpoch = batchesPerEpoch;
        this.learningRate = learningRate;
        this.history = history;
    }

    /// <summary>The network being trained: its module, named parameters, and freezing by name.</summary>
    public TrainingNetwork Network { get; }

    /// <summary>The optimiser's parameter groups, each at <see cref="LearningRate"/> times its own scale.</summary>
    public TrainingOptimizer Optimizer { get; }

    /// <summary>
    /// The network's outputs for the batch just trained, before its step: <see cref="OutputsPerImage"/> logits per image
    /// (no sigmoid), <see cref="BatchImages"/> images; empty outside <see cref="ITrainingCallback.OnBatchEnd"/>. Valid
    /// only during that call (the buffer is reused).
    /// </summary>
    public ReadOnlyMemory<float> BatchOutputs { get; private set; }

    /// <summary>The training targets of the batch just trained, one per image (1 positive, 0 negative); empty outside <see cref="ITrainingCallback.OnBatchEnd"/>.</summary>
    public ReadOnlyMemory<float> BatchTargets { get; private set; }

    /// <summary>Logits per image in <see cref="BatchOutputs"/>: 1 for the binary task.</summary>
    public int OutputsPerImage { get; internal init; } = 1;

    /// <summary>What the run computes in: Float32 or BFloat16, <see cref="Precision.Auto"/> resolved for this machine and network.</summary>
    public Precision Precision { get; }

    /// <summary>Why <see cref="Precision"/> is what it is, in one sentence (what the training log says).</summary>
    public string PrecisionReason { get; }

    /// <summary>The epoch under way, 1-based; 0 before the first.</summary>
    public int Epoch { get; internal set; }

    /// <summary>
    /// The epochs the run is set to train: <see cref="CnnOptions.Epochs"/>, or under a <see cref="TimeBudget"/> the
    /// epochs that fit, fixed at the end of epoch 1 (during epoch 1, an estimate from its batches so far).
    /// </summary>
    public int Epochs { get; internal set; }

    /// <summary>The run's time budget (<see cref="CnnOptions.TrainingTime"/>) when it sets the epochs; null otherwise.</summary>
    public TimeSpan? TimeBudget { get; }

    /// <summary>Time since Fit began (reading the images and the checks before epoch 1 included).</summary>
    public TimeSpan Elapsed => fitClock.Elapsed;

    /// <summary>What is left of <see cref="TimeBudget"/> (zero once it is spent); null without a budget.</summary>
    public TimeSpan? TimeLeft => TimeBudget is { } budget ? (budget > Elapsed ? budget - Elapsed : TimeSpan.Zero) : null;

    private readonly System.Diagnostics.Stopwatch fitClock;

    /// <summary>The batch just trained, 1-based within its epoch; 0 outside <see cref="ITrainingCallback.OnBatchEnd"/>.</summary>
    public int Batch { get; internal set; }

    /// <summary>Training steps per epoch.</summary>
    public int BatchesPerEpoch { get; }

    /// <summary>Mean binary cross-entropy (nats) of the batch just trained, before its step; NaN outside <see cref="ITrainingCallback.OnBatchEnd"/>.</summary>
    public double BatchLoss { get; internal set; } = double.NaN;

    /// <summary>Images in the batch just trained; 0 outside <see cref="ITrainingCallback.OnBatchEnd"/>.</summary>
    public int BatchImages { get; internal set; }

    /// <summary>Images trained on so far in the epoch under way.</summary>
    public int ImagesThisEpoch { get; internal set; }

    /// <summary>Seconds since the epoch under way began.</summary>
    public double SecondsThisEpoch => epochClock.Elapsed.TotalSeconds;

    private System.Diagnostics.Stopwatch epochClock = new();

    internal void BeginEpoch(int epoch)
    {
        Epoch = epoch;
        Batch = 0;
        BatchLoss = double.NaN;
        BatchImages = 0;
        ImagesThisEpoch = 0;
        BatchOutputs = default;
        BatchTargets = default;
        epochClock = System.Diagnostics.Stopwatch.StartNew();
    }

    internal void EndBatch(int batch, double loss, int images, ReadOnlyMemory<float> outputs, ReadOnlyMemory<float> targets)
    {
        BatchOutputs = outputs;
        BatchTargets = targets;
        Batch = batch;
        BatchLoss = loss;
        BatchImages = images;
        ImagesThisEpoch += images;
    }

    internal void EndEpoch()
    {
        BatchOutputs = default;
        BatchTargets = default;
        Batch = 0;
        BatchLoss = double.NaN;
        BatchImages = 0;
    }

    /// <summary>One record per finished epoch, restored ones included.</summary>
    public IReadOnlyList<EpochRecord> History => history;

    /// <summary>The last finished epoch's record, or null before the first.</summary>
    public EpochRecord? LastEpoch => history.Count == 0 ? null : history[^1];

    /// <summary>
    /// Adam's learning rate for the next step. Setting it takes effect from the next batch; the schedule sets it again
    /// at each epoch's start (before <see cref="ITrainingCallback.OnEpochBegin"/>). An epoch's record keeps the rate it started with.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The rate is negative, NaN or infinite.</exception>
    public double LearningRate
    {
        get => learningRate;
        set
        {
            if (!(value >= 0) || double.IsInfinity(value))
                throw new ArgumentOutOfRangeException(nameof(value), value, "The learning rate must be 0 or a positive finite number.");
            learningRate = value;
        }
    }

    /// <summary>Whether a stop was requested.</summary>
    public bool StopRequested { get; private set; }

    /// <summary>Why the first stop was requested, as its caller said; null when none was, or none was said.</summary>
    public string? StopReason { get; private set; }

    /// <summary>
    /// Ends training after the current epoch (it is finished, measured and recorded); Fit then returns the model.
    /// <paramref name="reason"/>, when given, is logged and kept in <see cref="StopReason"/> (the first one given).
    /// </summary>
    public void RequestStop(string? reason = null)
    {
        StopReason ??= reason;
        StopRequested = true;
    }
}
