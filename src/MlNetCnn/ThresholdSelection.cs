namespace MlNetCnn;

/// <summary>How the decision threshold is chosen.</summary>
public enum ThresholdSelection
{
    /// <summary>Keep <see cref="CnnOptions.Threshold"/>.</summary>
    Fixed,

    /// <summary>The threshold that maximises F1 on the validation set.</summary>
    MaxF1,

    /// <summary>The threshold that maximises Youden's J (true-positive rate − false-positive rate) on the validation set.</summary>
    YoudensJ,
}
