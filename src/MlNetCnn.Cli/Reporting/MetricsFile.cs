using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using MlNetCnn.Cli.Data;
using MlNetCnn.Cli.Output;
using MlNetCnn.Diagnostics;
using MlNetCnn.Persistence;

namespace MlNetCnn.Cli.Reporting;

/// <summary>
/// metrics.json: the final metrics, the confusion matrix, the images <c>--skip-bad-images</c> left out (when given),
/// the files of the folders that were not used and why, and (after training) the settings and per-epoch history.
/// </summary>
internal static class MetricsFile
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        // AUC is NaN on a one-class set; written as "NaN" rather than failing.
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>
    /// Writes <paramref name="path"/> atomically; <paramref name="training"/> holds the run's settings, or null after evaluate.
    /// <paramref name="skipped"/> holds, per folder role ("train", "valid", "data"), the images left out under
    /// <c>--skip-bad-images</c>; null without that option, and then the file has no <c>skippedImages</c> at all.
    /// </summary>
    public static void Write(string path, Evaluation evaluation, JsonObject? training, IReadOnlyList<EpochRecord> history,
        IReadOnlyDictionary<string, IReadOnlyList<SkippedImage>>? skipped, IReadOnlyDictionary<string, IReadOnlyList<IgnoredFile>>? ignored = null)
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
            ["threshold"] = evaluation.Threshold,
            ["thresholdPoint"] = ThresholdPoint(evaluation),
            ["confusionMatrix"] = new JsonObject
            {
                ["truePositives"] = evaluation.TruePositives,
                ["falsePositives"] = evaluation.FalsePositives,
                ["trueNegatives"] = evaluation.TrueNegatives,
                ["falseNegatives"] = evaluation.FalseNegatives,
            },
        };
        // The images of errors.png, in its order.
        root["mostConfidentlyWrong"] = new JsonArray(ErrorSheet.MostConfidentlyWrong(evaluation).Select(i => (JsonNode)new JsonObject
        {
            ["path"] = evaluation.Folder.Rows[i].ImagePath,
            ["class"] = evaluation.Folder.ClassOf(evaluation.Labels[i]),
            ["predicted"] = evaluation.Folder.ClassOf(evaluation.Predicted[i]),
            ["probability"] = evaluation.Probabilities[i],
        }).ToArray());
        if (skipped is not null)
        {
            // Written even when nothing was skipped: the reader sees that the option was on and every image was read.
            root["skippedImages"] = new JsonObject(skipped.Select(role => KeyValuePair.Create(role.Key, (JsonNode?)new JsonArray(
                role.Value.Select(s => (JsonNode)new JsonObject { ["path"] = s.Path, ["reason"] = s.Reason }).ToArray()))));
        }
        if (ignored is not null)
        {
            // Every file of the folders that was not used, and why: nothing is left out unseen.
            root["ignoredFiles"] = new JsonObject(ignored.Select(role => KeyValuePair.Create(role.Key, (JsonNode?)new JsonArray(
                role.Value.Select(f => (JsonNode)new JsonObject { ["path"] = f.Path, ["reason"] = f.Reason }).ToArray()))));
        }
        if (training is not null)
            root["training"] = training;
        if (history.Count > 0)
        {
            // Every figure of each epoch, by EpochRecord.Fields' keys (null where the epoch did not measure it).
            root["history"] = new JsonArray(history.Select(r => (JsonNode)new JsonObject(
                new[] { KeyValuePair.Create("epoch", (JsonNode?)r.Epoch) }
                    .Concat(r.Fields().Select(f => KeyValuePair.Create(f.Key, f.Value is { } v ? (JsonNode?)v : null))))).ToArray());
        }
        AtomicFile.WriteText(path, root.ToJsonString(Json) + "\n", createFolder: true);
    }

    // Where the model's threshold sits on the ROC curve (the point roc.png marks).
    private static JsonObject ThresholdPoint(Evaluation evaluation)
    {
        var (fpr, tpr) = RocCurve.At(evaluation.Probabilities, evaluation.Labels, evaluation.Threshold);
        return new JsonObject { ["falsePositiveRate"] = fpr, ["truePositiveRate"] = tpr };
    }
}
