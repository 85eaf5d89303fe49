using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using MlNetCnn.Cli.Output;
using MlNetCnn.Diagnostics;

namespace MlNetCnn.Cli.Reporting;

/// <summary>metrics.json: the final metrics, the confusion matrix, and (after training) the settings and per-epoch history.</summary>
internal static class MetricsFile
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        // AUC is NaN on a one-class set; written as "NaN" rather than failing.
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Writes <paramref name="path"/> atomically; <paramref name="training"/> holds the run's settings, or null after evaluate.</summary>
    public static void Write(string path, Evaluation evaluation, JsonObject? training, IReadOnlyList<EpochRecord> history)
    {
        var m = evaluation.Metrics;
        var root = new JsonObject
        {
            ["data"] = Path.GetFullPath(evaluation.Folder.Path),
            ["count"] = evaluation.Labels.Length,
            ["positives"] = evaluation.Folder.PositiveCount,
            ["positiveClass"] = evaluation.Folder.PositiveName,
            ["negativeClass"] = evaluation.Folder.NegativeName,
            ["accuracy"] = m.Accuracy,
            ["auc"] = m.AreaUnderRocCurve,
            ["f1"] = m.F1Score,
            ["precision"] = m.PositivePrecision,
            ["recall"] = m.PositiveRecall,
            ["logLoss"] = m.LogLoss,
            ["confusionMatrix"] = new JsonObject
            {
                ["truePositives"] = evaluation.TruePositives,
                ["falsePositives"] = evaluation.FalsePositives,
                ["trueNegatives"] = evaluation.TrueNegatives,
                ["falseNegatives"] = evaluation.FalseNegatives,
            },
        };
        if (training is not null)
            root["training"] = training;
        if (history.Count > 0)
        {
            root["history"] = new JsonArray(history.Select(r => (JsonNode)new JsonObject
            {
                ["epoch"] = r.Epoch,
                ["trainingLoss"] = r.TrainingLoss,
                ["validationLoss"] = r.Validation?.Loss,
                ["validationAccuracy"] = r.Validation?.Accuracy,
                ["validationAuc"] = r.Validation?.Auc,
                ["validationPredictedPositive"] = r.Validation?.PositiveRate,
                ["majorityBaseline"] = r.Validation?.MajorityBaseline,
                ["imagesPerSecond"] = r.ImagesPerSecond,
                ["seconds"] = r.Seconds,
            }).ToArray());
        }
        AtomicFile.WriteText(path, root.ToJsonString(Json) + "\n");
    }
}
