using MlNetCnn.Network;

namespace MlNetCnn.Training;

/// <summary>
/// Fine-tuning a pretrained backbone on the callback seam (fastai's fine_tune, Lightning's BackboneFinetuning): the
/// backbone is its own parameter group at <see cref="CnnOptions.BackboneLearningRateFactor"/> of the head's rate; it
/// starts frozen (the kind made it so) and, from epoch <see cref="CnnOptions.FrozenEpochs"/> + 1, trains whole or its
/// last <see cref="CnnOptions.UnfrozenStages"/> stages, as <see cref="CnnOptions.FineTuning"/> says. A resumed run
/// past the frozen epochs unfreezes before its first epoch, as the unbroken run had.
/// </summary>
internal sealed class FineTuneCallback(CnnOptions options) : ITrainingCallback
{
    /// <summary>The backbone's parameter group.</summary>
    public const string GroupName = BackboneClassifier.BackbonePart;

    private bool unfrozen;

    public void OnTrainingBegin(TrainingContext context)
    {
        // A checkpoint brings its groups back; a new run makes the backbone's.
        if (context.Optimizer.Groups.All(g => g.Name != GroupName))
            context.Optimizer.AddGroup(GroupName, BackboneClassifier.BackbonePart, options.BackboneLearningRateFactor);
    }

    public void OnEpochBegin(TrainingContext context)
    {
        if (unfrozen || options.FineTuning == FineTuning.Frozen || context.Epoch <= options.FrozenEpochs)
            return;
        var module = (BackboneClassifier)context.Network.Module;
        if (options.FineTuning == FineTuning.All)
        {
            context.Network.Unfreeze(BackboneClassifier.BackbonePart);
        }
        else
        {
            foreach (var stage in module.Backbone.Graph.LastStages(options.UnfrozenStages))
            {
                foreach (var (_, parameter) in module.Backbone.StageParameters(stage))
                    parameter.requires_grad = true;
            }
        }
        unfrozen = true;
    }
}
