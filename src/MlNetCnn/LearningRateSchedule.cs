namespace MlNetCnn;

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
