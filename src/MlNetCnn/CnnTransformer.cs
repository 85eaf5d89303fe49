using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MlNetCnn;
using MlNetCnn.Diagnostics;
using MlNetCnn.Network;
using MlNetCnn.Persistence;
using MlNetCnn.Scoring;
using MlNetCnn.Onnx;
using System.Globalization;

[assembly: LoadableClass(typeof(CnnTransformer), null, typeof(SignatureLoadModel), "CNN binary image classifier", CnnModelFormat.LoaderSignature)]

namespace MlNetCnn;

/// <summary>
/// A trained CNN binary image classifier. Adds <c>Score</c> (Single, the raw logit), <c>Probability</c>
/// (Single, sigmoid of the score) and <c>PredictedLabel</c> (Boolean, Probability ≥ <see cref="Threshold"/>):
/// the columns <c>BinaryClassification.Evaluate</c> reads by default.
/// </summary>
/// <remarks>
/// <see cref="Transform"/> runs the network on <see cref="BatchSize"/> rows per forward pass. The network is shared
/// by every view and prediction engine made from this transformer; forward passes on it are serialised.
/// Dispose the transformer to free its native memory at once rather than at finalisation.
/// </remarks>
public sealed class CnnTransformer : ITransformer, IDisposable
{
    /// <summary>Name of the raw-logit output column.</summary>
    public const string ScoreColumnName = "Score";
    /// <summary>Name of the probability output column.</summary>
    public const string ProbabilityColumnName = "Probability";
    /// <summary>Name of the predicted-label output column.</summary>
    public const string PredictedLabelColumnName = "PredictedLabel";

    internal CnnTransformer(IHostEnvironment env, CnnScorer scorer, string featureColumnName, float threshold, int batchSize, IReadOnlyList<EpochRecord> history, int bestEpoch,
        ClassNames? classes, LearningRateFinderResult? learningRateSearch)
    {
        Classes = classes;
        LearningRateSearch = learningRateSearch;
        Environment = env;
        BestEpoch = bestEpoch;
        Host = env.Register(nameof(CnnTransformer));
        Scorer = scorer;
        FeatureColumnName = featureColumnName;
        Threshold = threshold;
        BatchSize = batchSize;
        History = history;
    }

    internal IHostEnvironment Environment { get; }

    internal IHost Host { get; }

    internal CnnScorer Scorer { get; }

    /// <summary>What the network predicts: its output columns and how each is derived.</summary>
    internal Tasks.CnnTask Task => Scorer.Task;

    /// <summary>The feature column the network reads.</summary>
    public string FeatureColumnName { get; }

    /// <summary>The image geometry the network was trained on; scoring input must match it.</summary>
    public ImageGeometry Geometry => Scorer.Geometry;

    /// <summary>The built-in network's layer sizes; null when the model trained a <see cref="CnnOptions.CustomNetwork"/>.</summary>
    public NetworkShape? Network => Scorer.Network.Shape;

    /// <summary>The network in words: the built-in network's layer sizes, or what the custom network is (TorchScript, or a factory with its settings).</summary>
    public string NetworkDescription => Scorer.Network.Description;

    /// <summary>Whether the network is a <see cref="CnnOptions.CustomNetwork"/> (it then scores with LibTorch unless it has an ONNX form, as MlNetCnn's residual network does).</summary>
    public bool HasCustomNetwork => !Scorer.Network.IsBuiltIn;

    /// <summary>PredictedLabel is Probability ≥ Threshold.</summary>
    public float Threshold { get; }

    /// <summary>Rows per forward pass when transforming a data view.</summary>
    public int BatchSize { get; }

    /// <summary>One record per training epoch (empty for a model saved by a format that did not keep it).</summary>
    public IReadOnlyList<EpochRecord> History { get; }

    /// <summary>The epoch whose weights the network holds (the best one under early stopping; 0 when unknown).</summary>
    public int BestEpoch { get; }

    /// <summary>What Label true stands for (e.g. the positive class folder's name); null when training did not say, or for an older model.</summary>
    public string? PositiveClassName => Classes?.Positive;

    /// <summary>What Label false stands for; null when training did not say, or for an older model.</summary>
    public string? NegativeClassName => Classes?.Negative;

    internal ClassNames? Classes { get; }

    /// <summary>The name of the class <paramref name="predictedLabel"/> stands for: a class name when the model knows them, else "true" or "false".</summary>
    public string ClassOf(bool predictedLabel) =>
        Classes is { } c ? (predictedLabel ? c.Positive : c.Negative) : (predictedLabel ? "true" : "false");

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
    public IReadOnlyList<UnreadableRow> UnreadableRows { get; internal init; } = [];

    /// <summary>
    /// How many rows were left out: <see cref="UnreadableRows"/>' count, or for a model saved by formats 0x00010003 to
    /// 0x00010006, which kept a count on every epoch record and not the rows, that count.
    /// </summary>
    public int UnreadableRowCount => Math.Max(UnreadableRows.Count, CountWithoutRows);

    // An older model's count of rows left out, whose rows it did not keep.
    internal int CountWithoutRows { get; init; }

    /// <summary>Every alarm raised while training, in order.</summary>
    public IReadOnlyList<Alarm> Alarms => History.SelectMany(r => r.Alarms).ToArray();

    /// <summary>The scoring engine asked for (saved with the model); see <see cref="ActiveScoringEngine"/> for the one in use.</summary>
    public ScoringEngine ScoringEngine => Scorer.Requested;

    /// <summary>Scoring threads asked for (saved with the model); null for the default (see <see cref="ActiveScoringThreads"/>).</summary>
    public int? ScoringThreads => Scorer.Threads;

    /// <summary>
    /// The intra-op threads scoring runs on: <see cref="ScoringThreads"/> when given, else the cores this process may
    /// run on (<see cref="System.Environment.ProcessorCount"/>: the affinity mask, lowered to a cgroup CPU quota), for both
    /// engines. With LibTorch, whose count is the process's, a count the process chose itself is kept. Also logged
    /// once through MLContext.Log. Starts the engine if it has not started yet.
    /// </summary>
    public int ActiveScoringThreads => Scorer.ActiveThreads;

    /// <summary>
    /// The engine that scores: <see cref="ScoringEngine"/>, or LibTorch where ONNX Runtime could not start (a warning
    /// went to the log). Starts the engine if it has not started yet.
    /// </summary>
    public ScoringEngine ActiveScoringEngine => Scorer.Active;

    /// <summary>
    /// The precision training computed in, as <see cref="CnnOptions.Precision"/> resolved at Fit: Float32 or BFloat16,
    /// never Auto (saved with the model; Float32 for a model saved before format 0x00010009). The weights are float32 either way.
    /// </summary>
    public Precision TrainingPrecision => Scorer.Network.TrainedPrecision;

    /// <summary>
    /// The scoring precision asked for (saved with the model): Auto (the default) follows <see cref="TrainingPrecision"/>;
    /// see <see cref="ActiveScoringPrecision"/> for the one in use.
    /// </summary>
    public Precision ScoringPrecision => Scorer.RequestedPrecision;

    /// <summary>
    /// What scoring computes in: BFloat16 (mixed, the forward pass training used) only with the LibTorch engine, for the
    /// built-in network, where <see cref="ScoringPrecision"/> comes to BFloat16 and this machine's bfloat16 is native
    /// and computes the network's layers right (Auto's rule); otherwise Float32. ONNX Runtime scores in Float32: its CPU
    /// execution provider has no bfloat16 Conv or Gemm kernels. <see cref="ScoringPrecisionReason"/> says why. Starts
    /// the engine if it has not started yet.
    /// </summary>
    public Precision ActiveScoringPrecision => Scorer.ActivePrecision.Precision;

    /// <summary>
    /// Why scoring computes in <see cref="ActiveScoringPrecision"/>, in one sentence (also logged once, through
    /// MLContext.Log, where bfloat16 was in play). Starts the engine if it has not started yet.
    /// </summary>
    public string ScoringPrecisionReason => Scorer.ActivePrecision.Reason;

    /// <summary>
    /// The network's layers with their output shapes and parameter counts. For a custom network: its leaf modules with
    /// their parameters, as far as TorchSharp exposes them (no output shapes or FLOPs; a TorchScript module's layer
    /// types are not exposed, so each is "scripted"); this loads libtorch.
    /// </summary>
    public IReadOnlyList<LayerSummary> DescribeNetwork() => Scorer.Network.Describe(Geometry);

    /// <summary>Trainable parameters of the network.</summary>
    public long ParameterCount => DescribeNetwork().Sum(l => l.Parameters);

    /// <summary>
    /// The same trained model scoring with <paramref name="engine"/> and <paramref name="threads"/> intra-op threads
    /// (null: the engine's default). The weights are shared; this transformer is unchanged. The choice is saved with
    /// the new transformer. To change the engine of a whole loaded pipeline, see <see cref="CnnModel.WithScoringEngine"/>.
    /// </summary>
    public CnnTransformer WithScoringEngine(ScoringEngine engine, int? threads = null)
    {
        CnnOptions.CheckScoring(engine, threads);
        if (CnnScorer.EngineFor(Scorer.Network, engine) != engine)
            throw new NotSupportedException($"This model's network ({NetworkDescription}) has no ONNX form, so it scores with LibTorch only.");
        return With(new CnnScorer(Host, Geometry, Scorer.Network, engine, threads, ScoringPrecision));
    }

    /// <summary>
    /// The same trained model scoring in <paramref name="precision"/>: Auto follows <see cref="TrainingPrecision"/>;
    /// BFloat16 computes the built-in network's convolutions and dense layers in bfloat16 with the LibTorch engine where
    /// this machine's bfloat16 is native and right, else Float32 (<see cref="ActiveScoringPrecision"/> says which, and
    /// why); Float32 scores in float32 whatever training did, so scores match an ONNX export and other machines. The
    /// weights are shared; this transformer is unchanged. The choice is saved with the new transformer. For a whole
    /// loaded pipeline, see <see cref="CnnModel.WithScoringPrecision"/>.
    /// </summary>
    /// <exception cref="NotSupportedException">BFloat16 for a custom network, which scores in Float32 only.</exception>
    public CnnTransformer WithScoringPrecision(Precision precision)
    {
        if (!Enum.IsDefined(precision))
            throw new ArgumentOutOfRangeException(nameof(precision), precision, $"Precision must be one of {string.Join(", ", Enum.GetNames<Precision>())}.");
        if (precision == Precision.BFloat16 && HasCustomNetwork)
            throw new NotSupportedException($"This model's network ({NetworkDescription}) is a custom network, which scores in Float32 only: mixed precision is the built-in network's.");
        return With(new CnnScorer(Host, Geometry, Scorer.Network, ScoringEngine, ScoringThreads, precision));
    }

    private CnnTransformer With(CnnScorer scorer) =>
        new(Environment, scorer, FeatureColumnName, Threshold, BatchSize, History, BestEpoch, Classes, LearningRateSearch)
        {
            UnreadableRows = UnreadableRows,
            CountWithoutRows = CountWithoutRows,
        };

    /// <summary>
    /// Writes the network's weights in TorchSharp's own format (<c>Module.save</c>). A TorchSharp program loads them
    /// with <c>new CnnNetwork(Geometry, Network).load(path)</c> (or into its factory's module). A TorchScript network
    /// is written whole with <see cref="ExportTorchScript"/> instead.
    /// </summary>
    /// <exception cref="InvalidOperationException">The network is TorchScript.</exception>
    public void ExportWeights(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (Scorer.Network.TorchScriptArchive is not null)
            throw new InvalidOperationException("This model's network is a TorchScript module: write it, weights and code, with ExportTorchScript (torch.jit.load reads it in PyTorch and TorchSharp).");
        AtomicFile.Write(path, stream => stream.Write(Scorer.Network.StateBytes));
    }

    /// <summary>Writes the trained TorchScript module (the archive torch.jit.load reads, in PyTorch or TorchSharp) to <paramref name="path"/>.</summary>
    /// <exception cref="InvalidOperationException">The network is not TorchScript.</exception>
    public void ExportTorchScript(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var archive = Scorer.Network.TorchScriptArchive
            ?? throw new InvalidOperationException($"This model's network ({NetworkDescription}) is not a TorchScript module; write its weights with ExportWeights or the model with ExportOnnx.");
        AtomicFile.Write(path, stream => stream.Write(archive));
    }

    /// <summary>
    /// Writes the model as ONNX to <paramref name="path"/> (atomically: the file is whole or not there). Input
    /// <c>Features</c>, float <c>[N, C, H, W]</c> (the values ExtractPixels gives, scaled as in training); outputs
    /// <c>Score</c> (float <c>[N]</c>, the logit), <c>Probability</c> (float <c>[N]</c>) and <c>PredictedLabel</c>
    /// (bool <c>[N]</c>, Probability ≥ <see cref="Threshold"/>); N is dynamic. The graph is float32 whatever the model
    /// trained in (ONNX Runtime's CPU execution provider has no bfloat16 Conv or Gemm). The model's facts are in the metadata
    /// (keys <c>mlnetcnn.*</c>). To record the pipeline's image steps too, export the pipeline with
    /// <see cref="CnnModel.ExportOnnx(ITransformer, string)"/>.
    /// </summary>
    public void ExportOnnx(string path) => ExportOnnx(path, Array.Empty<KeyValuePair<string, string>>());

    /// <summary>Writes the model as ONNX to <paramref name="stream"/>; see <see cref="ExportOnnx(string)"/>.</summary>
    public void ExportOnnx(Stream stream) => ExportOnnx(stream, Array.Empty<KeyValuePair<string, string>>());

    internal void ExportOnnx(string path, IEnumerable<KeyValuePair<string, string>> metadata)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var model = OnnxModel(metadata);
        AtomicFile.Write(path, model.WriteTo);
    }

    internal void ExportOnnx(Stream stream, IEnumerable<KeyValuePair<string, string>> metadata)
    {
        ArgumentNullException.ThrowIfNull(stream);
        OnnxModel(metadata).WriteTo(stream);
    }

    private Onnx.ProtoMessage OnnxModel(IEnumerable<KeyValuePair<string, string>> metadata)
    {
        var facts = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [OnnxMetadata.FormatVersion] = CnnModelFormat.VersionText,
            [OnnxMetadata.Channels] = Geometry.Channels.ToString(CultureInfo.InvariantCulture),
            [OnnxMetadata.Height] = Geometry.Height.ToString(CultureInfo.InvariantCulture),
            [OnnxMetadata.Width] = Geometry.Width.ToString(CultureInfo.InvariantCulture),
            [OnnxMetadata.Threshold] = Threshold.ToString("R", CultureInfo.InvariantCulture),
            [OnnxMetadata.Network] = NetworkDescription,
            [OnnxMetadata.FeatureColumn] = FeatureColumnName,
            [OnnxMetadata.BestEpoch] = BestEpoch.ToString(CultureInfo.InvariantCulture),
            [OnnxMetadata.PixelScaling] = OnnxMetadata.PixelScalingUnknown,
        };
        if (Classes is { } classes)
        {
            facts[OnnxMetadata.PositiveClass] = classes.Positive;
            facts[OnnxMetadata.NegativeClass] = classes.Negative;
        }
        foreach (var (key, value) in metadata)
            facts[key] = value;
        return Scorer.Onnx(Threshold, facts);
    }

    bool ITransformer.IsRowToRowMapper => true;

    /// <summary>The input schema plus the task's columns (binary: Score, Probability and PredictedLabel); throws when the feature column does not fit.</summary>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        CheckInput(inputSchema);
        return OutputColumns.Build(inputSchema, Task);
    }

    /// <summary>Scores <paramref name="input"/> lazily, <see cref="BatchSize"/> rows per forward pass.</summary>
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new CnnScoredDataView(this, input, CheckInput(input.Schema));
    }

    /// <summary>A row-at-a-time mapper, as prediction engines use.</summary>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        return new CnnRowMapper(this, inputSchema, CheckInput(inputSchema));
    }

    void ICanSaveModel.Save(ModelSaveContext ctx) => CnnModelFormat.Save(this, ctx);

    // Found by ML.NET's component catalog through the LoadableClass attribute above.
    private static CnnTransformer Create(IHostEnvironment env, ModelLoadContext ctx) => CnnModelFormat.Load(env, ctx);

    /// <summary>
    /// Frees the scoring engine's native memory (waiting for scoring under way). The model stays usable: its weights
    /// are in managed memory, and the next score makes the engine again. So a prediction engine that disposes the
    /// model it was made from (ML.NET's default) costs the next request an engine start, never an error.
    /// </summary>
    public void Dispose() => Scorer.Dispose();

    private DataViewSchema.Column CheckInput(DataViewSchema schema)
    {
        var column = schema.GetColumnOrNull(FeatureColumnName)
            ?? throw new ArgumentOutOfRangeException(nameof(schema),
                $"The input has no feature column '{FeatureColumnName}', which this model reads ({Geometry} Single values per image).");
        if (column.Type is not VectorDataViewType vector || vector.ItemType != NumberDataViewType.Single || vector.Size != Geometry.Size)
            throw new ArgumentOutOfRangeException(nameof(schema),
                $"Column '{FeatureColumnName}' is {DescribeGeometry(column.Type)}; this model was trained on images of {Geometry} " +
                $"(a vector of {Geometry.Size} Single). Resize the images to {Geometry.Height}×{Geometry.Width} with {Geometry.Channels} channel(s).");
        if (vector.Dimensions.Length == 3 && (vector.Dimensions[0], vector.Dimensions[1], vector.Dimensions[2]) != (Geometry.Channels, Geometry.Height, Geometry.Width))
            throw new ArgumentOutOfRangeException(nameof(schema),
                $"Column '{FeatureColumnName}' holds images of {vector.Dimensions[0]}×{vector.Dimensions[1]}×{vector.Dimensions[2]}; this model was trained on {Geometry}.");
        return column;
    }

    private static string DescribeGeometry(DataViewType type) => type switch
    {
        VectorDataViewType { Dimensions.Length: 3 } v => $"images of {v.Dimensions[0]}×{v.Dimensions[1]}×{v.Dimensions[2]} {v.ItemType}",
        VectorDataViewType { IsKnownSize: true } v => $"a vector of {v.Size} {v.ItemType}",
        VectorDataViewType v => $"a variable-size vector of {v.ItemType}",
        _ => type.ToString() ?? type.GetType().Name,
    };
}
