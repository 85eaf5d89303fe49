using System.ComponentModel;
using Microsoft.ML;
using MlNetCnn.Diagnostics;
using MlNetCnn.Network;

namespace MlNetCnn;

/// <summary>
/// Settings of <see cref="CnnEstimator"/>. Every default is a named constant that other overloads reuse. Each settable
/// property is also a flag of the command line's <c>train</c>, a key of its <c>--config</c> file and a line of its
/// <c>--help</c>, derived from the property's name, its <c>[Category]</c> and its summary (without the "Default …"
/// sentence): a new setting needs no edit of the command line.
/// </summary>
public sealed class CnnOptions
{
    /// <summary>Default of <see cref="LabelColumnName"/>.</summary>
    public const string DefaultLabelColumnName = "Label";
    /// <summary>Default of <see cref="FeatureColumnName"/>.</summary>
    public const string DefaultFeatureColumnName = "Features";
    /// <summary>Default of <see cref="Epochs"/>.</summary>
    public const int DefaultEpochs = 10;
    /// <summary>Default of <see cref="BatchSize"/>.</summary>
    public const int DefaultBatchSize = 32;
    /// <summary>Default of <see cref="LearningRate"/> (Adam's usual step size).</summary>
    public const double DefaultLearningRate = 1e-3;
    /// <summary>Default of <see cref="Threshold"/>.</summary>
    public const float DefaultThreshold = 0.5f;
    /// <summary>Default of <see cref="StreamingMemoryBytes"/>.</summary>
    public const long DefaultStreamingMemoryBytes = 384L << 20;
    /// <summary>Default of <see cref="EarlyStoppingMinDelta"/>.</summary>
    public const double DefaultEarlyStoppingMinDelta = 1e-4;
    /// <summary>Default of <see cref="StepEpochs"/>.</summary>
    public const int DefaultStepEpochs = 5;
    /// <summary>Default of <see cref="StepGamma"/>.</summary>
    public const double DefaultStepGamma = 0.1;
    /// <summary>Default of <see cref="PlateauPatience"/>.</summary>
    public const int DefaultPlateauPatience = 2;
    /// <summary>Default of <see cref="PlateauFactor"/>.</summary>
    public const double DefaultPlateauFactor = 0.1;
    /// <summary>Fit ends within this share of <see cref="TrainingTime"/>, either side (unless early stopping ends it sooner): 0.1.</summary>
    public const double TrainingTimeTolerance = 0.10;
    /// <summary>Default of <see cref="Precision"/>.</summary>
    public const Precision DefaultPrecision = MlNetCnn.Precision.Float32;

    /// <summary>Name of the Boolean label column; true is the positive class. Default "Label".</summary>
    [Category("data")]
    public string LabelColumnName { get; set; } = DefaultLabelColumnName;

    /// <summary>Name of the image column: a known-size Single vector of C×H×W values, as ExtractPixels makes it. Default "Features".</summary>
    [Category("data")]
    public string FeatureColumnName { get; set; } = DefaultFeatureColumnName;

    /// <summary>Colour channels per image, for a feature column without image dimensions; null reads them from the column.</summary>
    [Category("images")]
    public int? ImageChannels { get; set; }

    /// <summary>Image height in pixels, for a feature column without image dimensions; null reads it from the column.</summary>
    [Category("images")]
    public int? ImageHeight { get; set; }

    /// <summary>Image width in pixels, for a feature column without image dimensions; null reads it from the column.</summary>
    [Category("images")]
    public int? ImageWidth { get; set; }

    /// <summary>
    /// What Label true stands for, e.g. "ankle boot": saved in the model (<see cref="CnnTransformer.PositiveClassName"/>)
    /// so that predictions can name their class. Set both class names or neither. Default null (unnamed).
    /// </summary>
    [Category("data")]
    public string? PositiveClassName { get; set; }

    /// <summary>What Label false stands for; see <see cref="PositiveClassName"/>. Default null (unnamed).</summary>
    [Category("data")]
    public string? NegativeClassName { get; set; }

    /// <summary>
    /// Passes over the training data. Default 10. Set, it wins over <see cref="TrainingTime"/>: the run trains exactly
    /// these epochs, as without a budget.
    /// </summary>
    [Category("optimiser")]
    public int Epochs
    {
        get => epochs ?? DefaultEpochs;
        set => epochs = value;
    }

    private int? epochs;

    /// <summary>Whether <see cref="Epochs"/> was set (to any value, the default's included), so that it wins over <see cref="TrainingTime"/>.</summary>
    internal bool EpochsGiven => epochs is not null;

    /// <summary>
    /// A time budget for Fit, from its start to the returned model (reading the images, the checks, every epoch with its
    /// validation pass, and the final scoring passes): Fit ends within 10 % of it. The first epoch is timed; from its
    /// speed the epochs that fit are fixed once, the schedule is sized to them, and the log says how many ("fixed 36
    /// epochs"): a rerun with <see cref="Epochs"/> set to that number gives the same model, bit for bit. Early stopping
    /// may end the run sooner. Should the later epochs run much slower than the first (a machine that became busy), the
    /// run stops before the budget is overrun and says so. Not used when <see cref="Epochs"/> is set. Null (the
    /// default): train <see cref="Epochs"/> epochs.
    /// </summary>
    [Category("optimiser")]
    public TimeSpan? TrainingTime { get; set; }

    /// <summary>Whether the epochs come from <see cref="TrainingTime"/>: a budget is set and <see cref="Epochs"/> is not.</summary>
    internal bool UsesTimeBudget => TrainingTime is not null && !EpochsGiven;

    /// <summary>Images per training step and per scoring forward pass. At least 2 (batch norm needs two rows). Default 32.</summary>
    [Category("optimiser")]
    public int BatchSize { get; set; } = DefaultBatchSize;

    /// <summary>Adam's learning rate. Default 0.001. Ignored with <see cref="AutoLearningRate"/>.</summary>
    [Category("optimiser")]
    public double LearningRate { get; set; } = DefaultLearningRate;

    /// <summary>
    /// Before training, run <see cref="CnnEstimator.FindLearningRate"/>'s range test on the training rows (with the run's
    /// seed) and train at its suggestion instead of <see cref="LearningRate"/> (but not below
    /// <see cref="MinimumLearningRate"/>); schedules start from it. The choice is logged, each epoch's
    /// <see cref="Diagnostics.EpochRecord.LearningRate"/> records the rate used, and
    /// <see cref="Diagnostics.TrainingReport.LearningRateSearch"/> keeps the test (saved with the model). Costs up to
    /// <see cref="CnnEstimator.FinderMaxBatches"/> training steps. Default false.
    /// </summary>
    [Category("optimiser")]
    public bool AutoLearningRate { get; set; }

    /// <summary>Seed of weight initialisation, shuffling, augmentation and the held-out share; null for one from the <see cref="MLContext"/>.</summary>
    [Category("run")]
    public int? Seed { get; set; }

    /// <summary>PredictedLabel is Probability ≥ Threshold. In [0, 1]. Default 0.5.</summary>
    [Category("validation")]
    public float Threshold { get; set; } = DefaultThreshold;

    /// <summary>Rows to measure after every epoch (label and feature columns as the estimator sees them); null for none.</summary>
    [Category("validation")]
    public IDataView? ValidationSet { get; set; }

    /// <summary>When no <see cref="ValidationSet"/> is given: the share of training rows held out for validation, stratified by label and seeded. 0 for none.</summary>
    [Category("data")]
    public double ValidationFraction { get; set; }

    /// <summary>Epochs without improvement of <see cref="EarlyStoppingMetric"/> before training stops and the best epoch's weights are restored; null for no early stopping.</summary>
    [Category("validation")]
    public int? EarlyStoppingPatience { get; set; }

    /// <summary>The validation metric early stopping and reduce-on-plateau watch. Default: loss.</summary>
    [Category("validation")]
    public ValidationMetric EarlyStoppingMetric { get; set; } = ValidationMetric.Loss;

    /// <summary>The smallest change of the watched metric that counts as an improvement. Default 0.0001.</summary>
    [Category("validation")]
    public double EarlyStoppingMinDelta { get; set; } = DefaultEarlyStoppingMinDelta;

    /// <summary>How the learning rate changes per epoch. Default: constant.</summary>
    [Category("optimiser")]
    public LearningRateSchedule LearningRateSchedule { get; set; } = LearningRateSchedule.Constant;

    /// <summary>Step schedule: epochs between reductions. Default 5.</summary>
    [Category("optimiser")]
    public int StepEpochs { get; set; } = DefaultStepEpochs;

    /// <summary>Step schedule: the factor of each reduction. Default 0.1.</summary>
    [Category("optimiser")]
    public double StepGamma { get; set; } = DefaultStepGamma;

    /// <summary>Reduce-on-plateau: epochs without improvement before a reduction. Default 2.</summary>
    [Category("optimiser")]
    public int PlateauPatience { get; set; } = DefaultPlateauPatience;

    /// <summary>Reduce-on-plateau: the factor of each reduction. Default 0.1.</summary>
    [Category("optimiser")]
    public double PlateauFactor { get; set; } = DefaultPlateauFactor;

    /// <summary>The floor of every schedule (and the end point of cosine). Default 0.</summary>
    [Category("optimiser")]
    public double MinimumLearningRate { get; set; }

    /// <summary>Adam's L2 weight decay. Default 0.</summary>
    [Category("optimiser")]
    public double WeightDecay { get; set; }

    /// <summary>Weight of positive rows in the loss (BCE pos_weight); null for 1, unless <see cref="BalanceClasses"/>.</summary>
    [Category("augmentation")]
    public double? PositiveClassWeight { get; set; }

    /// <summary>Sets the positive weight to negatives ÷ positives of the training data, so both classes count equally. Default false.</summary>
    [Category("augmentation")]
    public bool BalanceClasses { get; set; }

    /// <summary>Training only: mirror each image left–right with probability ½. Seeded. Default false.</summary>
    [Category("augmentation")]
    public bool RandomHorizontalFlip { get; set; }

    /// <summary>Training only: shift each image by up to this many pixels in each direction, filling with zeros (pad-and-crop). Seeded. 0 for none.</summary>
    [Category("augmentation")]
    public int RandomShiftPixels { get; set; }

    /// <summary>How to choose the threshold after training, on the validation set. Default: keep <see cref="Threshold"/>.</summary>
    [Category("validation")]
    public ThresholdSelection ThresholdSelection { get; set; } = ThresholdSelection.Fixed;

    /// <summary>Before the full run, check that the loss can fall on one small batch (alarm CNN008). Default true.</summary>
    [Category("validation")]
    public bool CheckLearnable { get; set; } = true;

    /// <summary>Alarm codes (e.g. "CNN002") that stop training as errors instead of warnings.</summary>
    [Category("validation")]
    public ISet<string> AlarmsAsErrors { get; set; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>A folder where each epoch's training state is saved; null for none.</summary>
    [Category("run")]
    public string? CheckpointFolder { get; set; }

    /// <summary>Continue from the newest complete checkpoint in <see cref="CheckpointFolder"/>, when there is one. Default false.</summary>
    [Category("run")]
    public bool ResumeFromCheckpoint { get; set; }

    /// <summary>Receives a report after every training batch and every epoch; null for none. Called on the training thread.</summary>
    [Category("run")]
    public IProgress<TrainingProgress>? Progress { get; set; }

    /// <summary>
    /// Hooks into the training loop (<see cref="ITrainingCallback"/>), called in this order after the schedule:
    /// <c>new CnnOptions { Callbacks = { new MyCallback() } }</c>. Empty by default.
    /// </summary>
    [Category("run")]
    public IList<ITrainingCallback> Callbacks { get; private set; } = new List<ITrainingCallback>();

    /// <summary>
    /// Stops training between batches. Fit then throws <see cref="OperationCanceledException"/> and returns no model;
    /// with a <see cref="CheckpointFolder"/>, the last completed epoch is there to resume from.
    /// </summary>
    [Category("run")]
    public CancellationToken CancellationToken { get; set; }

    /// <summary>
    /// Keep every decoded training image in memory (faster epochs for small sets). Default false: each epoch reads the
    /// images again, in chunks that fit a fixed memory budget, decoding on a background thread while the network trains.
    /// </summary>
    [Category("run")]
    public bool CacheImages { get; set; }

    /// <summary>When not caching: memory for decoded images in flight (three chunks of whole batches), in bytes. Default 384 MiB.</summary>
    [Category("run")]
    public long StreamingMemoryBytes { get; set; } = DefaultStreamingMemoryBytes;

    /// <summary>
    /// Training and validation rows whose image (or label) cannot be read — a missing, empty, truncated or non-image
    /// file upstream — are left out and listed once for the run (<see cref="Diagnostics.TrainingReport.UnreadableRows"/>, alarm CNN009)
    /// instead of failing Fit. Default false: the first such row fails Fit with an error naming it.
    /// </summary>
    [Category("data")]
    public bool SkipUnreadableRows { get; set; }

    /// <summary>
    /// libtorch's intra-op threads, set for the whole process when Fit starts. Null: the process's count, which is
    /// libtorch's default (the CPUs of the affinity mask) unless the process set one (<c>OMP_NUM_THREADS</c>,
    /// <c>torch.set_num_threads</c>), lowered to the cores the process may run on (<see cref="Environment.ProcessorCount"/>)
    /// where a cgroup CPU quota allows fewer.
    /// </summary>
    [Category("run")]
    public int? Threads { get; set; }

    /// <summary>
    /// The runtime the trained model scores with (saved with it): ONNX Runtime by default, on a graph built in memory
    /// from the weights; LibTorch to score with TorchSharp. A loaded model changes it with <see cref="CnnTransformer.WithScoringEngine"/>.
    /// </summary>
    [Category("run")]
    public ScoringEngine ScoringEngine { get; set; } = ScoringEngine.OnnxRuntime;

    /// <summary>
    /// Intra-op threads the trained model scores with (saved with it); null for the default: the cores the process may
    /// run on (<see cref="Environment.ProcessorCount"/>: its affinity mask, lowered to a cgroup CPU quota), for both
    /// engines (with LibTorch, a count the process set itself is kept, as for <see cref="Threads"/>).
    /// <see cref="CnnTransformer.ActiveScoringThreads"/> says what is used. ONNX Runtime's threads are the session's
    /// own and sleep when idle; libtorch has one thread count per process, so with LibTorch a given count is set for
    /// the whole process (training included) when the engine starts.
    /// </summary>
    [Category("run")]
    public int? ScoringThreads { get; set; }

    /// <summary>
    /// The number format training computes in: Float32, BFloat16 (mixed: bfloat16 convolutions and dense layers,
    /// float32 weights, optimiser state, loss and batch-norm statistics) or Auto (BFloat16 where the CPU and oneDNN
    /// compute it natively and right, else Float32). Validation during training follows it; the saved weights are
    /// float32. The trained model remembers what Auto came to (<see cref="CnnTransformer.TrainingPrecision"/>) and
    /// scores in it with <see cref="ScoringEngine.LibTorch"/> where the scoring machine's bfloat16 is native and right,
    /// else in float32; ONNX Runtime scores in float32 (<see cref="CnnTransformer.ActiveScoringPrecision"/>). Default Float32.
    /// </summary>
    [Category("run")]
    public Precision Precision { get; set; } = DefaultPrecision;

    /// <summary>Layer sizes. Default: the question's network (<see cref="NetworkShape.Default"/>). Not used when <see cref="CustomNetwork"/> is set.</summary>
    [Category("network")]
    public NetworkShape Network { get; set; } = NetworkShape.Default;

    /// <summary>
    /// A network of your own to train instead of the built-in one: <see cref="MlNetCnn.CustomNetwork.FromTorchScript(string)"/>
    /// (a module scripted in PyTorch), <see cref="MlNetCnn.CustomNetwork.FromFactory"/> (a registered TorchSharp module) or
    /// <see cref="MlNetCnn.CustomNetwork.Residual"/>. Null (the default) trains <see cref="Network"/>. Everything else
    /// (validation, alarms, schedules, early stopping, checkpoints, threshold choice, callbacks) applies as to the
    /// built-in network; a network without an ONNX form scores with LibTorch.
    /// </summary>
    [Category("network")]
    public CustomNetwork? CustomNetwork { get; set; }

    /// <summary>
    /// A pretrained network to start from (transfer learning), e.g. <see cref="PretrainedBackbone.ResNet18"/>: its
    /// classifier is replaced by this task's head (global average pooling, <see cref="HeadDropout"/>, one linear layer),
    /// it is frozen for <see cref="FrozenEpochs"/> (its parameters do not move, its batch norms stay in evaluation mode,
    /// and without augmentation each image's features are computed once and reused), then trained as
    /// <see cref="FineTuning"/> says. Images are normalised as the backbone's file says; give them at its input size
    /// (ResNet18: 3×224×224, or smaller). Null (the default) trains <see cref="Network"/> or <see cref="CustomNetwork"/> from scratch.
    /// </summary>
    [Category("network")]
    public PretrainedBackbone? Backbone { get; set; }

    /// <summary>How the backbone trains after its frozen epochs: Frozen (never), LastStages or All (the default).</summary>
    [Category("network")]
    public FineTuning FineTuning { get; set; } = DefaultFineTuning;

    /// <summary>Epochs the backbone stays frozen while the head learns first (fastai's and Lightning's way). Default 1; ignored when <see cref="FineTuning"/> is Frozen (it stays frozen).</summary>
    [Category("network")]
    public int FrozenEpochs { get; set; } = DefaultFrozenEpochs;

    /// <summary>With <see cref="FineTuning.LastStages"/>: how many of the backbone's last stages train after the frozen epochs. Default 1.</summary>
    [Category("network")]
    public int UnfrozenStages { get; set; } = DefaultUnfrozenStages;

    /// <summary>The backbone's learning rate over the head's (<see cref="LearningRate"/> and its schedule) once it trains. Default 0.1.</summary>
    [Category("network")]
    public double BackboneLearningRateFactor { get; set; } = DefaultBackboneLearningRateFactor;

    /// <summary>Dropout before the head's linear layer, as a probability in [0, 1). Default 0.</summary>
    [Category("network")]
    public double HeadDropout { get; set; }

    /// <summary>See <see cref="FineTuning"/>.</summary>
    public const FineTuning DefaultFineTuning = MlNetCnn.FineTuning.All;

    /// <summary>See <see cref="FrozenEpochs"/>.</summary>
    public const int DefaultFrozenEpochs = 1;

    /// <summary>See <see cref="UnfrozenStages"/>.</summary>
    public const int DefaultUnfrozenStages = 1;

    /// <summary>See <see cref="BackboneLearningRateFactor"/>.</summary>
    public const double DefaultBackboneLearningRateFactor = 0.1;

    /// <summary>Throws, naming the setting and its value, when a setting is out of range.</summary>
    public void Validate()
    {
        if (Backbone is not null && CustomNetwork is not null)
            throw new ArgumentException($"Set Backbone or CustomNetwork, not both: the backbone is the network ({Backbone.Name}), with this task's head.", nameof(Backbone));
        if (FrozenEpochs < 0)
            throw new ArgumentOutOfRangeException(nameof(FrozenEpochs), FrozenEpochs, "FrozenEpochs must be 0 or more.");
        if (UnfrozenStages < 1)
            throw new ArgumentOutOfRangeException(nameof(UnfrozenStages), UnfrozenStages, "UnfrozenStages must be at least 1.");
        if (!(BackboneLearningRateFactor >= 0) || double.IsInfinity(BackboneLearningRateFactor))
            throw new ArgumentOutOfRangeException(nameof(BackboneLearningRateFactor), BackboneLearningRateFactor, "BackboneLearningRateFactor must be 0 or a positive finite number.");
        if (!(HeadDropout >= 0 && HeadDropout < 1))
            throw new ArgumentOutOfRangeException(nameof(HeadDropout), HeadDropout, "HeadDropout must be in [0, 1).");
        if (!Enum.IsDefined(FineTuning))
            throw new ArgumentOutOfRangeException(nameof(FineTuning), FineTuning, $"FineTuning must be one of {string.Join(", ", Enum.GetNames<FineTuning>())}.");
        if (string.IsNullOrWhiteSpace(LabelColumnName))
            throw new ArgumentException("LabelColumnName must name a column.", nameof(LabelColumnName));
        if (string.IsNullOrWhiteSpace(FeatureColumnName))
            throw new ArgumentException("FeatureColumnName must name a column.", nameof(FeatureColumnName));
        if (Epochs < 1)
            throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "Epochs must be at least 1.");
        if (TrainingTime is { } time && !(time > TimeSpan.Zero && time <= MaxTrainingTime))
            throw new ArgumentOutOfRangeException(nameof(TrainingTime), TrainingTime, $"TrainingTime must be positive and at most {MaxTrainingTime.TotalDays:F0} days when given.");
        if (BatchSize < 2)
            throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "BatchSize must be at least 2: batch normalisation needs two rows per step.");
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate))
            throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "LearningRate must be a positive finite number.");
        if (!(Threshold >= 0 && Threshold <= 1))
            throw new ArgumentOutOfRangeException(nameof(Threshold), Threshold, "Threshold must be in [0, 1].");
        foreach (var (name, value) in new[] { (nameof(ImageChannels), ImageChannels), (nameof(ImageHeight), ImageHeight), (nameof(ImageWidth), ImageWidth) })
        {
            if (value is <= 0)
                throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive when given.");
        }
        if ((ImageChannels is null) != (ImageHeight is null) || (ImageHeight is null) != (ImageWidth is null))
            throw new ArgumentException("State all of ImageChannels, ImageHeight and ImageWidth, or none.");
        if ((PositiveClassName is null) != (NegativeClassName is null))
            throw new ArgumentException($"Set both PositiveClassName and NegativeClassName, or neither (one is {(PositiveClassName is null ? "null" : $"'{PositiveClassName}'")}, the other {(NegativeClassName is null ? "null" : $"'{NegativeClassName}'")}).",
                PositiveClassName is null ? nameof(PositiveClassName) : nameof(NegativeClassName));
        if (PositiveClassName is not null && (string.IsNullOrWhiteSpace(PositiveClassName) || string.IsNullOrWhiteSpace(NegativeClassName)))
            throw new ArgumentException("PositiveClassName and NegativeClassName must not be empty.", string.IsNullOrWhiteSpace(PositiveClassName) ? nameof(PositiveClassName) : nameof(NegativeClassName));
        if (PositiveClassName is not null && string.Equals(PositiveClassName, NegativeClassName, StringComparison.Ordinal))
            throw new ArgumentException($"PositiveClassName and NegativeClassName are both '{PositiveClassName}'; the two classes need two names.", nameof(NegativeClassName));
        if (!(ValidationFraction >= 0 && ValidationFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(ValidationFraction), ValidationFraction, "ValidationFraction must be in [0, 1).");
        if (EarlyStoppingPatience is < 1)
            throw new ArgumentOutOfRangeException(nameof(EarlyStoppingPatience), EarlyStoppingPatience, "EarlyStoppingPatience must be at least 1 when given.");
        if (!(EarlyStoppingMinDelta >= 0))
            throw new ArgumentOutOfRangeException(nameof(EarlyStoppingMinDelta), EarlyStoppingMinDelta, "EarlyStoppingMinDelta must be 0 or more.");
        if (StepEpochs < 1)
            throw new ArgumentOutOfRangeException(nameof(StepEpochs), StepEpochs, "StepEpochs must be at least 1.");
        if (!(StepGamma > 0 && StepGamma <= 1))
            throw new ArgumentOutOfRangeException(nameof(StepGamma), StepGamma, "StepGamma must be in (0, 1].");
        if (PlateauPatience < 1)
            throw new ArgumentOutOfRangeException(nameof(PlateauPatience), PlateauPatience, "PlateauPatience must be at least 1.");
        if (!(PlateauFactor > 0 && PlateauFactor <= 1))
            throw new ArgumentOutOfRangeException(nameof(PlateauFactor), PlateauFactor, "PlateauFactor must be in (0, 1].");
        if (!(MinimumLearningRate >= 0) || (MinimumLearningRate > LearningRate && !AutoLearningRate))
            throw new ArgumentOutOfRangeException(nameof(MinimumLearningRate), MinimumLearningRate, "MinimumLearningRate must be in [0, LearningRate] (0 or more with AutoLearningRate).");
        if (!(WeightDecay >= 0) || double.IsInfinity(WeightDecay))
            throw new ArgumentOutOfRangeException(nameof(WeightDecay), WeightDecay, "WeightDecay must be 0 or a positive finite number.");
        if (PositiveClassWeight is { } w && (!(w > 0) || double.IsInfinity(w)))
            throw new ArgumentOutOfRangeException(nameof(PositiveClassWeight), PositiveClassWeight, "PositiveClassWeight must be a positive finite number when given.");
        if (PositiveClassWeight is not null && BalanceClasses)
            throw new ArgumentException("Give PositiveClassWeight or BalanceClasses, not both.", nameof(BalanceClasses));
        if (StreamingMemoryBytes < 1)
            throw new ArgumentOutOfRangeException(nameof(StreamingMemoryBytes), StreamingMemoryBytes, "StreamingMemoryBytes must be positive.");
        if (Threads is < 1)
            throw new ArgumentOutOfRangeException(nameof(Threads), Threads, "Threads must be at least 1 when given.");
        CheckScoring(ScoringEngine, ScoringThreads);
        if (!Enum.IsDefined(Precision))
            throw new ArgumentOutOfRangeException(nameof(Precision), Precision, $"Precision must be one of {string.Join(", ", Enum.GetNames<Precision>())}.");
        if (RandomShiftPixels < 0)
            throw new ArgumentOutOfRangeException(nameof(RandomShiftPixels), RandomShiftPixels, "RandomShiftPixels must be 0 or more.");
        if (ResumeFromCheckpoint && string.IsNullOrWhiteSpace(CheckpointFolder))
            throw new ArgumentException("ResumeFromCheckpoint needs a CheckpointFolder.", nameof(ResumeFromCheckpoint));
        if (UsesTimeBudget && ResumeFromCheckpoint)
            throw new ArgumentException("ResumeFromCheckpoint continues a run of known length, but TrainingTime fixes the epochs only once the first epoch is timed. " +
                "Set Epochs to the number the first run fixed (its log says \"fixed N epochs\"), or leave TrainingTime unset.", nameof(ResumeFromCheckpoint));
        ArgumentNullException.ThrowIfNull(AlarmsAsErrors, nameof(AlarmsAsErrors));
        if (Callbacks.Any(c => c is null))
            throw new ArgumentException($"Callbacks holds a null entry (position {Callbacks.IndexOf(null!)}); add callback objects only.", nameof(Callbacks));
        var unknown = AlarmsAsErrors.Where(code => !AlarmCodes.All.Contains(code, StringComparer.OrdinalIgnoreCase)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"Unknown alarm code(s) {string.Join(", ", unknown)}; known: {string.Join(", ", AlarmCodes.All)}.", nameof(AlarmsAsErrors));
        ArgumentNullException.ThrowIfNull(Network, nameof(Network));
        Network.Validate();
    }

    /// <summary>Throws, naming the setting, when a scoring engine or thread count is out of range.</summary>
    internal static void CheckScoring(ScoringEngine engine, int? threads)
    {
        if (!Enum.IsDefined(engine))
            throw new ArgumentOutOfRangeException(nameof(ScoringEngine), engine, $"ScoringEngine must be one of {string.Join(", ", Enum.GetNames<ScoringEngine>())}.");
        if (threads is < 1 or > MaxScoringThreads)
            throw new ArgumentOutOfRangeException(nameof(ScoringThreads), threads, $"ScoringThreads must be in [1, {MaxScoringThreads}] when given.");
    }

    /// <summary>The longest <see cref="TrainingTime"/> accepted.</summary>
    internal static readonly TimeSpan MaxTrainingTime = TimeSpan.FromDays(30);

    /// <summary>The most scoring threads accepted (and stored in a model).</summary>
    internal const int MaxScoringThreads = 1024;

    /// <summary>A copy whose later changes do not reach the estimator.</summary>
    internal CnnOptions Clone()
    {
        var copy = (CnnOptions)MemberwiseClone();
        copy.AlarmsAsErrors = new HashSet<string>(AlarmsAsErrors ?? new HashSet<string>(), StringComparer.OrdinalIgnoreCase);
        copy.Callbacks = new List<ITrainingCallback>(Callbacks);
        return copy;
    }

    /// <summary>Whether training has validation rows to measure.</summary>
    internal bool HasValidation => ValidationSet is not null || ValidationFraction > 0;
}
