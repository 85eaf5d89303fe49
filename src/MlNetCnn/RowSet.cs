namespace MlNetCnn;

/// <summary>Which input of a training run a row belongs to (see <see cref="UnreadableRow"/>).</summary>
public enum RowSet
{
    /// <summary>The data given to Fit (rows held out by ValidationFraction included).</summary>
    Training,

    /// <summary><see cref="CnnOptions.ValidationSet"/>.</summary>
    Validation,
}
