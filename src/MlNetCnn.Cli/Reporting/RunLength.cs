using System.Globalization;
using System.Text.Json.Nodes;
using MlNetCnn.Cli.Settings;

namespace MlNetCnn.Cli.Reporting;

/// <summary>
/// How long the run was, and why: the epochs planned (given, or fixed by the time budget after the first), those
/// trained, the budget and what stopped the run early. Collected on the callback seam; says the fixed epochs once they
/// are known, and gives the summary line's words and metrics.json's <c>timeBudget</c> from the same facts.
/// </summary>
internal sealed class RunLength(Action<string> say) : ITrainingCallback
{
    /// <summary>The time budget that set the epochs; null when they were given.</summary>
    public TimeSpan? Budget { get; private set; }

    /// <summary>The epochs the run was set to train.</summary>
    public int PlannedEpochs { get; private set; }

    /// <summary>The epochs in the history (a resumed run's earlier ones included).</summary>
    public int TrainedEpochs { get; private set; }

    /// <summary>Why the run stopped before <see cref="PlannedEpochs"/>, as the library said; null when it did not.</summary>
    public string? StopReason { get; private set; }

    public void OnEpochEnd(TrainingContext context)
    {
        if (context.Epoch == 1 && context.TimeBudget is { } budget)
            say($"Time budget {DurationText.Describe(budget)}: {context.Epochs} epochs fit, fixed now (--epochs {context.Epochs} repeats this run).");
    }

    public void OnTrainingEnd(TrainingContext context)
    {
        Budget = context.TimeBudget;
        PlannedEpochs = context.Epochs;
        TrainedEpochs = context.History.Count;
        StopReason = TrainedEpochs < PlannedEpochs ? context.StopReason ?? "a callback" : null;
    }

    /// <summary>"trained 43 epochs in 1 min 58 s of a 2 min budget"; "trained 12 of 43 epochs (early stopping …) in 35 s of a 2 min budget".</summary>
    public string Describe(double seconds)
    {
        var epochs = StopReason is null
            ? $"{TrainedEpochs} epoch{(TrainedEpochs == 1 ? "" : "s")}"
            : $"{TrainedEpochs} of {PlannedEpochs} epochs (stopped by {StopReason})";
        var time = DurationText.Describe(TimeSpan.FromSeconds(seconds));
        return Budget is { } budget ? $"trained {epochs} in {time} of a {DurationText.Describe(budget)} budget" : $"trained {epochs} in {time}";
    }

    /// <summary>metrics.json's <c>timeBudget</c>: null without one.</summary>
    public JsonObject? ToJson(double seconds) => Budget is not { } budget ? null : new JsonObject
    {
        ["seconds"] = budget.TotalSeconds,
        ["usedSeconds"] = seconds,
        ["usedShare"] = Math.Round(seconds / budget.TotalSeconds, 4),
        ["epochsFixed"] = PlannedEpochs,
        ["epochsTrained"] = TrainedEpochs,
        ["stoppedBy"] = StopReason,
        ["what"] = "Fit from its start to the returned model: reading the images, the checks, every epoch with its validation pass, and the final scoring passes. " +
            string.Create(CultureInfo.InvariantCulture, $"Held when usedShare is at most {1 + CnnOptions.TrainingTimeTolerance:0.##}."),
    };
}
