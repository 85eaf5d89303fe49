using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetCnn.Tests.Support;
using TorchSharp;

namespace MlNetCnn.Tests.Training;

/// <summary>The 50 % bug, on purpose: argmax over a single output column always answers class 0.</summary>
public sealed class TheQuestionTests : IClassFixture<TrainedModel>
{
    private readonly TrainedModel model;

    public TheQuestionTests(TrainedModel model) => this.model = model;

    [Fact]
    public void PredictedLabel_thresholds_the_one_logit_and_reaches_the_accuracy_argmax_over_it_cannot()
    {
        var scored = model.Transformer.Transform(model.Test);
        var scores = Scores.Column(scored);
        var predicted = Scores.Predicted(scored);
        var labels = scored.GetColumn<bool>("Label").ToArray();

        // The demonstration: what the question's evaluation did, outputs of shape [N, 1] and argmax over dim 1. On one
        // column it answers class 0 whatever the network learned, so its accuracy is the negative share.
        using var outputs = torch.tensor(scores).reshape(scores.Length, 1);
        using var argmax = outputs.argmax(1);
        var argmaxAccuracy = argmax.data<long>().ToArray().Zip(labels).Count(p => (p.First == 1) == p.Second) / (double)labels.Length;

        // What our output does: one scalar logit per row, so there is nothing to take argmax over ...
        Assert.Equal(NumberDataViewType.Single, scored.Schema[CnnTransformer.ScoreColumnName].Type);
        // ... and PredictedLabel, the logit against the threshold, labels both classes in their true proportion ...
        var positiveShare = labels.Count(l => l) / (double)labels.Length;
        Assert.InRange(predicted.Count(p => p) / (double)predicted.Length, positiveShare - 0.05, positiveShare + 0.05);
        // ... with the accuracy ML.NET's evaluator reports, far above the argmax baseline.
        var accuracy = predicted.Zip(labels).Count(p => p.First == p.Second) / (double)labels.Length;
        Assert.Equal(model.Ml.BinaryClassification.Evaluate(scored).Accuracy, accuracy, 12);
        Assert.True(accuracy >= 0.95, $"accuracy {accuracy}");
        Assert.True(accuracy > argmaxAccuracy + 0.4, $"accuracy {accuracy}, argmax over one column {argmaxAccuracy}");
    }
}
