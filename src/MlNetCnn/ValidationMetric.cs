namespace MlNetCnn;

/// <summary>A validation metric that early stopping and reduce-on-plateau can watch.</summary>
public enum ValidationMetric
{
    /// <summary>Validation loss (lower is better).</summary>
    Loss,

    /// <summary>Validation accuracy (higher is better).</summary>
    Accuracy,

    /// <summary>Validation ROC AUC (higher is better).</summary>
    Auc,
}
