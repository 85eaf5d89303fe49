using Microsoft.ML;
using MlNetCnn.Diagnostics;
using MlNetCnn.Tests.Support;

namespace MlNetCnn.Tests.Diagnostics;

public sealed class BinaryMetricsTests : IClassFixture<TrainedModel>
{
    private readonly TrainedModel model;

    public BinaryMetricsTests(TrainedModel model) => this.model = model;

    [Fact]
    public void Metrics_agree_with_MLNETs_evaluator_on_the_same_scores()
    {
        var scored = model.Transformer.Transform(model.Test);
        var ours = BinaryMetrics.Compute(Scores.Column(scored), Microsoft.ML.Data.ColumnCursorExtensions.GetColumn<bool>(scored, "Label").ToArray(), 0.5f);
        var theirs = model.Ml.BinaryClassification.Evaluate(scored);

        Assert.Equal(theirs.Accuracy, ours.Accuracy, 6);
        Assert.Equal(theirs.AreaUnderRocCurve, ours.Auc, 6);
        Assert.Equal(theirs.LogLoss, ours.LogLoss, 4);
    }

    [Fact]
    public void Auc_counts_ties_as_half_and_is_undefined_with_one_class()
    {
        Assert.Equal(0.5, BinaryMetrics.RocAuc(new[] { 1f, 1f }, new[] { true, false }));
        Assert.Equal(1.0, BinaryMetrics.RocAuc(new[] { 0f, 1f, 2f }, new[] { false, true, true }));
        Assert.Equal(0.0, BinaryMetrics.RocAuc(new[] { 2f, 1f }, new[] { false, true }));
        Assert.True(double.IsNaN(BinaryMetrics.RocAuc(new[] { 0f, 1f }, new[] { true, true })));
    }

    [Fact]
    public void Collapsed_predictions_show_as_a_zero_spread_and_an_extreme_positive_rate()
    {
        var m = BinaryMetrics.Compute(new[] { -3f, -3f, -3f, -3f }, new[] { true, false, true, false }, 0.5f);

        Assert.Equal(0, m.PositiveRate);
        Assert.Equal(0, m.ProbabilitySpread, 6);
        Assert.Equal(0.5, m.Accuracy);
        Assert.Equal(0.5, m.MajorityBaseline);
    }
}
