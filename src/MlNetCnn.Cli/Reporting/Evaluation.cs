using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetCnn.Cli.Data;

namespace MlNetCnn.Cli.Reporting;

/// <summary>A model's scores on a labelled folder and ML.NET's binary-classification metrics over all of them.</summary>
internal sealed class Evaluation
{
    private Evaluation(LabelledFolder folder, float[] probabilities, bool[] labels, bool[] predicted, CalibratedBinaryClassificationMetrics metrics, float threshold)
    {
        Threshold = threshold;
        Folder = folder;
        Probabilities = probabilities;
        Labels = labels;
        Predicted = predicted;
        Metrics = metrics;
    }

    /// <summary>The folder scored.</summary>
    public LabelledFolder Folder { get; }

    /// <summary>Probability of the positive class, per image, in <see cref="LabelledFolder.Rows"/> order.</summary>
    public float[] Probabilities { get; }

    /// <summary>True labels, per image.</summary>
    public bool[] Labels { get; }

    /// <summary>Predicted labels, per image.</summary>
    public bool[] Predicted { get; }

    /// <summary>What <c>ml.BinaryClassification.Evaluate</c> reports.</summary>
    public CalibratedBinaryClassificationMetrics Metrics { get; }

    /// <summary>The model's threshold: predicted positive when the probability is at least this.</summary>
    public float Threshold { get; }

    /// <summary>Images labelled and predicted positive.</summary>
    public int TruePositives => Count(true, true);
    /// <summary>Images labelled negative but predicted positive.</summary>
    public int FalsePositives => Count(false, true);
    /// <summary>Images labelled and predicted negative.</summary>
    public int TrueNegatives => Count(false, false);
    /// <summary>Images labelled positive but predicted negative.</summary>
    public int FalseNegatives => Count(true, false);

    /// <summary>Scores every image of <paramref name="folder"/> once with <paramref name="model"/> and evaluates the scores.</summary>
    public static Evaluation Run(MLContext ml, ITransformer model, LabelledFolder folder)
    {
        var scored = model.Transform(ImagePipeline.Load(ml, folder.Rows));
        // One pass over the images; ML.NET's evaluator then reads the scores from memory.
        var rows = ml.Data.CreateEnumerable<ScoredRow>(scored, reuseRowObject: false).ToArray();
        if (rows.Length != folder.Rows.Count)
            throw new InvalidOperationException($"The model scored {rows.Length} of {folder.Rows.Count} images.");
        var metrics = ml.BinaryClassification.Evaluate(ml.Data.LoadFromEnumerable(rows));
        return new Evaluation(folder, rows.Select(r => r.Probability).ToArray(), rows.Select(r => r.Label).ToArray(), rows.Select(r => r.PredictedLabel).ToArray(), metrics,
            model.FindCnn().Threshold);
    }

    private int Count(bool label, bool predicted)
    {
        var n = 0;
        for (var i = 0; i < Labels.Length; i++)
        {
            if (Labels[i] == label && Predicted[i] == predicted)
                n++;
        }
        return n;
    }
}
