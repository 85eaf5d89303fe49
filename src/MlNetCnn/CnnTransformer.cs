using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MlNetCnn;
using MlNetCnn.Diagnostics;
using MlNetCnn.Network;
using MlNetCnn.Persistence;
using MlNetCnn.Scoring;

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

    internal CnnTransformer(IHostEnvironment env, CnnScorer scorer, string featureColumnName, float threshold, int batchSize, IReadOnlyList<EpochRecord> history, int bestEpoch)
    {
        BestEpoch = bestEpoch;
        Host = env.Register(nameof(CnnTransformer));
        Scorer = scorer;
        FeatureColumnName = featureColumnName;
        Threshold = threshold;
        BatchSize = batchSize;
        History = history;
    }

    internal IHost Host { get; }

    internal CnnScorer Scorer { get; }

    /// <summary>The feature column the network reads.</summary>
    public string FeatureColumnName { get; }

    /// <summary>The image geometry the network was trained on; scoring input must match it.</summary>
    public ImageGeometry Geometry => Scorer.Network.Geometry;

    /// <summary>The network's layer sizes.</summary>
    public NetworkShape Network => Scorer.Network.Shape;

    /// <summary>PredictedLabel is Probability ≥ Threshold.</summary>
    public float Threshold { get; }

    /// <summary>Rows per forward pass when transforming a data view.</summary>
    public int BatchSize { get; }

    /// <summary>One record per training epoch (empty for a model saved by a format that did not keep it).</summary>
    public IReadOnlyList<EpochRecord> History { get; }

    /// <summary>The epoch whose weights the network holds (the best one under early stopping; 0 when unknown).</summary>
    public int BestEpoch { get; }

    /// <summary>Every alarm raised while training, in order.</summary>
    public IReadOnlyList<Alarm> Alarms => History.SelectMany(r => r.Alarms).ToArray();

    /// <summary>The network's layers with their output shapes and parameter counts.</summary>
    public IReadOnlyList<LayerSummary> DescribeNetwork() => Network.Describe(Geometry);

    /// <summary>Trainable parameters of the network.</summary>
    public long ParameterCount => Scorer.Network.ParameterCount;

    /// <summary>
    /// Writes the network's weights in TorchSharp's own format (<c>Module.save</c>). A TorchSharp program loads them
    /// with <c>new CnnNetwork(Geometry, Network).load(path)</c>.
    /// </summary>
    public void ExportWeights(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var temp = path + ".tmp";
        lock (Scorer)
        {
            Scorer.Network.save(temp);
        }
        File.Move(temp, path, overwrite: true);
    }

    bool ITransformer.IsRowToRowMapper => true;

    /// <summary>The input schema plus Score, Probability and PredictedLabel; throws when the feature column does not fit.</summary>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        return OutputColumns.Build(inputSchema, CheckInput(inputSchema));
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

    /// <summary>Frees the network's native memory.</summary>
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
