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
    public void Argmax_over_the_single_output_column_gives_the_negative_share_while_PredictedLabel_gives_the_true_accuracy()
    {
        var scored = model.Transformer.Transform(model.Test);
        var scores = Scores.Column(scored);
        var labels = scored.GetColumn<bool>("Label").ToArray();
        var negativeShare = labels.Count(l => !l) / (double)labels.Length;

        // What the question's evaluation did: outputs of shape [N, 1], argmax over dim 1.
        using var outputs = torch.tensor(scores).reshape(scores.Length, 1);
        using var argmax = outputs.argmax(1);
        var argmaxPredictions = argmax.data<long>().ToArray();
        var argmaxAccuracy = argmaxPredictions.Zip(labels).Count(p => (p.First == 1) == p.Second) / (double)labels.Length;

        Assert.All(argmaxPredictions, p => Assert.Equal(0, p));
        Assert.Equal(negativeShare, argmaxAccuracy);

        var metrics = model.Ml.BinaryClassification.Evaluate(scored);
        Assert.True(metrics.Accuracy >= 0.95, $"accuracy {metrics.Accuracy}");
        Assert.True(metrics.Accuracy > argmaxAccuracy + 0.4);
    }
}
