namespace MlNetCnn.Cli.Data;

/// <summary>A scored row as read back from the model's output, by ML.NET's default column names.</summary>
internal sealed class ScoredRow
{
    /// <summary>The true label (false for unlabelled images).</summary>
    public bool Label { get; set; }

    /// <summary>The network's raw logit.</summary>
    public float Score { get; set; }

    /// <summary>Probability of the positive class.</summary>
    public float Probability { get; set; }

    /// <summary>Probability ≥ the model's threshold.</summary>
    public bool PredictedLabel { get; set; }
}
