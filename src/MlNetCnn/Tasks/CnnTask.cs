using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetCnn.Data;
using MlNetCnn.Diagnostics;
using MlNetCnn.Onnx;
using static TorchSharp.torch;

namespace MlNetCnn.Tasks;

/// <summary>
/// What the network is trained to predict, in one place (skorch's NeuralNetBinaryClassifier over NeuralNet; ML.NET's
/// TorchSharpBaseTrainer&lt;TLabel, TTarget&gt;): the label column it takes, the targets and outputs per image, the
/// loss and its class weights, what a prediction is, the metrics, the output columns, the ONNX tail, and the id a
/// model zip stores. <see cref="BinaryTask"/> is the first.
/// </summary>
internal abstract class CnnTask
{
    /// <summary>The binary task: one logit, BCE with logits, sigmoid and a threshold.</summary>
    public static CnnTask Binary { get; } = new BinaryTask();

    /// <summary>The task <paramref name="options"/> train: binary (the only one so far).</summary>
    public static CnnTask Of(CnnOptions options) => Binary;

    /// <summary>The task with <paramref name="id"/>, as a model zip stores it; throws for an unknown one.</summary>
    public static CnnTask FromId(int id) => id switch
    {
        BinaryTask.TaskId => Binary,
        _ => throw new InvalidDataException($"The model's task id {id} is not one this version of MlNetCnn knows ({BinaryTask.TaskId}: binary)."),
    };

    /// <summary>The id a model zip stores.</summary>
    public abstract int Id { get; }

    /// <summary>What messages call it.</summary>
    public abstract string Name { get; }

    /// <summary>Logits per image the network ends in.</summary>
    public abstract int OutputsPerImage { get; }

    // *** The label ***

    /// <summary>Throws, naming the column, what it is and how to convert it, unless <paramref name="label"/> is a label this task takes.</summary>
    public abstract void CheckLabel(SchemaShape.Column label);

    /// <summary>Throws, naming the column, what it is and how to convert it, unless <paramref name="label"/> is a label this task takes.</summary>
    public abstract void CheckLabel(DataViewSchema.Column label);

    // *** Training ***

    /// <summary>The loss weights the options ask for (null for none); the caller disposes them.</summary>
    public abstract Tensor? ClassWeights(CnnOptions options, TrainingData train);

    /// <summary>The batch's mean loss of <paramref name="outputs"/> (as <see cref="ShapeOutputs"/> gives them) against <paramref name="targets"/>.</summary>
    public abstract Tensor Loss(Tensor outputs, Tensor targets, Tensor? classWeights);

    /// <summary>An untrained network's loss per training image, as the loss weighs it (the level CNN alarms compare against).</summary>
    public abstract double UntrainedLoss(CnnOptions options, TrainingData train);

    /// <summary>Rows whose prediction from <paramref name="outputs"/> (as the transformer decides it) equals the target.</summary>
    public abstract int CountCorrect(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, float threshold);

    /// <summary>
    /// The network's raw output for a batch of <paramref name="batch"/> images in this task's shape; throws
    /// <see cref="InvalidOperationException"/>, showing the shape and what the task needs, when it is another.
    /// </summary>
    public abstract Tensor ShapeOutputs(Tensor output, long batch);

    /// <summary>Whether <paramref name="shape"/> is this task's output for a batch of <paramref name="batch"/>.</summary>
    public abstract bool IsOutput(long[] shape, long batch);

    /// <summary>What the task needs of a network's output, for messages: "[2] or [2, 1]: one logit per image, no sigmoid".</summary>
    public abstract string DescribeOutput(long batch);

    // *** Evaluation ***

    /// <summary>Metrics over a whole set of rows.</summary>
    public abstract BinaryMetrics Measure(ReadOnlySpan<float> outputs, ReadOnlySpan<bool> labels, float threshold);

    /// <summary>The decision threshold chosen on validation (or the option's, when the choice is fixed).</summary>
    public abstract float ChooseThreshold(ReadOnlySpan<float> outputs, ReadOnlySpan<bool> labels, ThresholdSelection selection, float fallback);

    // *** Scoring ***

    /// <summary>The names of the columns a transformer adds, in order.</summary>
    public abstract IReadOnlyList<string> OutputColumnNames { get; }

    /// <summary>Adds the output columns to <paramref name="builder"/>, in <see cref="OutputColumnNames"/>' order.</summary>
    public abstract void AddOutputColumns(DataViewSchema.Builder builder);

    /// <summary>The output columns as an estimator's schema shape promises them.</summary>
    public abstract IEnumerable<SchemaShape.Column> OutputShape();

    /// <summary>A getter for output column <paramref name="offset"/> that reads the current row's outputs.</summary>
    public abstract Delegate Getter(int offset, Func<float[]> outputs, float threshold);

    /// <summary>Adds the output columns to an ONNX graph whose network ends in <paramref name="logits"/> ([N, K]), as graph outputs.</summary>
    public abstract void AddOnnxTail(OnnxGraph graph, string logits, float threshold, string batchDimension);
}
