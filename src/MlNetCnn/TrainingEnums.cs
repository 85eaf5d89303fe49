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

/// <summary>How the learning rate changes from epoch to epoch.</summary>
public enum LearningRateSchedule
{
    /// <summary>The same rate every epoch.</summary>
    Constant,

    /// <summary>Multiplied by <see cref="CnnOptions.StepGamma"/> every <see cref="CnnOptions.StepEpochs"/> epochs.</summary>
    Step,

    /// <summary>Cosine annealing from the initial rate to <see cref="CnnOptions.MinimumLearningRate"/> over the run.</summary>
    Cosine,

    /// <summary>Multiplied by <see cref="CnnOptions.PlateauFactor"/> after <see cref="CnnOptions.PlateauPatience"/> epochs without improvement of the monitored metric.</summary>
    ReduceOnPlateau,
}

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

/// <summary>Which input of a training run a row belongs to (see <see cref="UnreadableRow"/>).</summary>
public enum RowSet
{
    /// <summary>The data given to Fit (rows held out by ValidationFraction included).</summary>
    Training,

    /// <summary><see cref="CnnOptions.ValidationSet"/>.</summary>
    Validation,
}
