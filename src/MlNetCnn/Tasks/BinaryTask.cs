using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetCnn.Data;
using MlNetCnn.Diagnostics;
using MlNetCnn.Onnx;
using static TorchSharp.torch;

namespace MlNetCnn.Tasks;

/// <summary>
/// Two classes from a Boolean label: the network ends in one logit, trained with BCE-with-logits (pos_weight for class
/// weights); <c>Probability = sigmoid(Score)</c>, <c>PredictedLabel = Probability ≥ threshold</c>, the columns
/// <c>BinaryClassification.Evaluate</c> reads. Nothing takes argmax over one column: the bug this library began with.
/// </summary>
internal sealed class BinaryTask : CnnTask
{
    /// <summary>The binary task's id in a model zip.</summary>
    public const int TaskId = 1;

    private const int Score = 0;
    private const int Probability = 1;
    private const int PredictedLabel = 2;

    // ML.NET's own binary classifiers mark their outputs this way; evaluators and tools read the marks.
    private const string ScoreColumnKind = "ScoreColumnKind";
    private const string ScoreValueKind = "ScoreValueKind";
    private const string BinaryClassification = "BinaryClassification";

    public override int Id => TaskId;

    public override string Name => "binary classification";

    public override int OutputsPerImage => 1;

    public override void CheckLabel(SchemaShape.Column label)
    {
        if (label.Kind != SchemaShape.Column.VectorKind.Scalar || label.ItemType != BooleanDataViewType.Instance)
            throw new ArgumentOutOfRangeException("shape", LabelTypeMessage(label.Name, $"{label.Kind} of {label.ItemType}"));
    }

    public override void CheckLabel(DataViewSchema.Column label)
    {
        if (label.Type != BooleanDataViewType.Instance)
            throw new ArgumentOutOfRangeException("schema", LabelTypeMessage(label.Name, ColumnChecks.Describe(label.Type)));
    }

    private static string LabelTypeMessage(string name, string actual) =>
        $"Column '{name}' is {actual}; CnnEstimator needs Boolean (true = positive class). " +
        "Load it as bool, or convert it, e.g. mlContext.Transforms.CustomMapping or a TextLoader column of DataKind.Boolean.";

    /// <summary>BCE's pos_weight as the options ask for it (given, or negatives ÷ positives); null for none.</summary>
    public override Tensor? ClassWeights(CnnOptions options, TrainingData train) =>
        PositiveWeight(options, train) is { } w ? tensor(new[] { (float)w }) : null;

    private static double? PositiveWeight(CnnOptions options, TrainingData train) =>
        options.BalanceClasses ? (double)(train.TrainCount - train.TrainPositives) / train.TrainPositives : options.PositiveClassWeight;

    public override Tensor Loss(Tensor outputs, Tensor targets, Tensor? classWeights) =>
        nn.functional.binary_cross_entropy_with_logits(outputs, targets, pos_weights: classWeights);

    /// <summary>ln 2 for predicting ½, each positive weighted as the loss weighs it.</summary>
    public override double UntrainedLoss(CnnOptions options, TrainingData train)
    {
        var weight = PositiveWeight(options, train) ?? 1;
        var positiveShare = (double)train.TrainPositives / train.TrainCount;
        return AlarmMonitor.UntrainedLoss * (1 + (weight - 1) * positiveShare);
    }

    /// <summary>Rows whose predicted label (sigmoid(logit) ≥ threshold, as the transformer decides) equals the target.</summary>
    public override int CountCorrect(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, float threshold)
    {
        var correct = 0;
        for (var i = 0; i < outputs.Length; i++)
        {
            if (BinaryMetrics.Sigmoid(outputs[i]) >= threshold == targets[i] > 0.5f)
                correct++;
        }
        return correct;
    }

    /// <summary>One logit per image: <c>[N]</c> (a user's <c>[N, 1]</c> is squeezed).</summary>
    public override Tensor ShapeOutputs(Tensor output, long batch)
    {
        if (IsOutput(output.shape, batch))
            return output.ndim == 2 ? output.squeeze(1) : output;
        throw new InvalidOperationException($"The network returned a [{string.Join(", ", output.shape)}] tensor for a batch of {batch} images; " +
            $"a binary classifier returns [{batch}] or [{batch}, 1] logits (one per image, no sigmoid).");
    }

    public override bool IsOutput(long[] shape, long batch) =>
        (shape.Length == 1 && shape[0] == batch) || (shape.Length == 2 && shape[0] == batch && shape[1] == 1);

    public override string DescribeOutput(long batch) =>
        $"a binary classifier returns [{batch}] or [{batch}, 1]: one logit per image, no sigmoid (two outputs with argmax is the bug this library exists to prevent)";

    public override BinaryMetrics Measure(ReadOnlySpan<float> outputs, ReadOnlySpan<bool> labels, float threshold) =>
        BinaryMetrics.Compute(outputs, labels, threshold);

    public override float ChooseThreshold(ReadOnlySpan<float> outputs, ReadOnlySpan<bool> labels, ThresholdSelection selection, float fallback) =>
        ThresholdSelector.Choose(outputs, labels, selection, fallback);

    public override IReadOnlyList<string> OutputColumnNames { get; } =
        [CnnTransformer.ScoreColumnName, CnnTransformer.ProbabilityColumnName, CnnTransformer.PredictedLabelColumnName];

    public override void AddOutputColumns(DataViewSchema.Builder builder)
    {
        builder.AddColumn(CnnTransformer.ScoreColumnName, NumberDataViewType.Single, Marks("Score"));
        builder.AddColumn(CnnTransformer.ProbabilityColumnName, NumberDataViewType.Single, Marks("Probability"));
        builder.AddColumn(CnnTransformer.PredictedLabelColumnName, BooleanDataViewType.Instance, Marks("PredictedLabel"));
    }

    public override IEnumerable<SchemaShape.Column> OutputShape() =>
    [
        new(CnnTransformer.ScoreColumnName, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single, false),
        new(CnnTransformer.ProbabilityColumnName, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single, false),
        new(CnnTransformer.PredictedLabelColumnName, SchemaShape.Column.VectorKind.Scalar, BooleanDataViewType.Instance, false),
    ];

    public override Delegate Getter(int offset, Func<float[]> outputs, float threshold) => offset switch
    {
        Score => (ValueGetter<float>)((ref float value) => value = outputs()[0]),
        Probability => (ValueGetter<float>)((ref float value) => value = BinaryMetrics.Sigmoid(outputs()[0])),
        PredictedLabel => (ValueGetter<bool>)((ref bool value) => value = BinaryMetrics.Sigmoid(outputs()[0]) >= threshold),
        _ => throw new ArgumentOutOfRangeException(nameof(offset)),
    };

    /// <summary>Score (the [N, 1] logit squeezed), Probability = Sigmoid(Score), PredictedLabel = Probability ≥ threshold.</summary>
    public override void AddOnnxTail(OnnxGraph graph, string logits, float threshold, string batchDimension)
    {
        var score = graph.Node("Squeeze", CnnTransformer.ScoreColumnName, new[] { logits, graph.Initializer("squeeze_axes", new long[] { 1 }, new long[] { 1 }) });
        var probability = graph.Node("Sigmoid", CnnTransformer.ProbabilityColumnName, new[] { score });
        graph.Node("GreaterOrEqual", CnnTransformer.PredictedLabelColumnName, new[] { probability, graph.Initializer("threshold", Array.Empty<long>(), new[] { threshold }) });

        var batch = new long?[] { null };
        graph.Output(CnnTransformer.ScoreColumnName, OnnxGraph.Float, batch, batchDimension, "The raw logit.");
        graph.Output(CnnTransformer.ProbabilityColumnName, OnnxGraph.Float, batch, batchDimension, "sigmoid(Score).");
        graph.Output(CnnTransformer.PredictedLabelColumnName, OnnxGraph.Bool, batch, batchDimension, $"Probability >= {threshold:R}.");
    }

    private static DataViewSchema.Annotations Marks(string valueKind)
    {
        var annotations = new DataViewSchema.Annotations.Builder();
        annotations.Add(ScoreColumnKind, TextDataViewType.Instance, (ref ReadOnlyMemory<char> v) => v = BinaryClassification.AsMemory());
        annotations.Add(ScoreValueKind, TextDataViewType.Instance, (ref ReadOnlyMemory<char> v) => v = valueKind.AsMemory());
        return annotations.ToAnnotations();
    }
}
