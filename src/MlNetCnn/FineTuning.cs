namespace MlNetCnn;

/// <summary>How a pretrained backbone (<see cref="CnnOptions.Backbone"/>) trains after its frozen epochs.</summary>
public enum FineTuning
{
    /// <summary>Never unfrozen: only the head trains, on features the backbone computes once per image (the fastest; ML.NET's own transfer learning trains this way).</summary>
    Frozen,

    /// <summary>After <see cref="CnnOptions.FrozenEpochs"/>, the last <see cref="CnnOptions.UnfrozenStages"/> stages of the backbone train too, at <see cref="CnnOptions.BackboneLearningRateFactor"/> of the head's rate.</summary>
    LastStages,

    /// <summary>After <see cref="CnnOptions.FrozenEpochs"/>, the whole backbone trains, at <see cref="CnnOptions.BackboneLearningRateFactor"/> of the head's rate (fastai's fine_tune).</summary>
    All,
}
