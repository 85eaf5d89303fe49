using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetCnn.Tests.Support;

namespace MlNetCnn.Tests.Scoring;

public sealed class ScoringTests : IClassFixture<TrainedModel>
{
    // Batched and single-row forward passes run different matrix kernels, so the last bits may differ.
    private const float BatchTolerance = 1e-4f;

    private readonly TrainedModel model;

    public ScoringTests(TrainedModel model) => this.model = model;

    public sealed class Prediction
    {
        public float Score { get; set; }
        public float Probability { get; set; }
        public bool PredictedLabel { get; set; }
    }

    [Fact]
    public void Batched_transform_agrees_with_row_at_a_time_prediction_engine()
    {
        var rows = SyntheticImages.Rows(50, seed: 12);
        var batched = Scores.Column(model.Transformer.Transform(model.Ml.Data.LoadFromEnumerable(rows)));
        using var engine = model.Ml.Model.CreatePredictionEngine<ImageRow, Prediction>(model.Transformer);

        for (var i = 0; i < rows.Count; i++)
        {
            var single = engine.Predict(rows[i]);
            Assert.InRange(single.Score, batched[i] - BatchTolerance, batched[i] + BatchTolerance);
            Assert.Equal(1f / (1f + MathF.Exp(-single.Score)), single.Probability);
            Assert.Equal(single.Probability >= 0.5f, single.PredictedLabel);
        }
    }

    [Fact]
    public void Transform_of_a_row_count_that_is_not_a_multiple_of_the_batch_size_scores_every_row()
    {
        // 16 per batch: 37 rows make two full batches and a partial one.
        var rows = SyntheticImages.Rows(37, seed: 21);
        var scored = model.Transformer.Transform(model.Ml.Data.LoadFromEnumerable(rows));

        var predicted = Scores.Predicted(scored);
        var labels = scored.GetColumn<bool>("Label").ToArray();
        Assert.Equal(37, predicted.Length);
        Assert.True(predicted.Zip(labels).Count(p => p.First == p.Second) >= 35);
    }

    [Fact]
    public void Transform_passes_input_columns_through_unchanged()
    {
        var rows = SyntheticImages.Rows(20, seed: 22);
        var scored = model.Transformer.Transform(model.Ml.Data.LoadFromEnumerable(rows));

        Assert.Equal(rows.Select(r => r.Label), scored.GetColumn<bool>("Label"));
        Assert.Equal(rows[3].Features, scored.GetColumn<float[]>("Features").ElementAt(3));
    }

    [Fact]
    public void Scoring_input_of_another_geometry_is_refused_with_expected_and_actual()
    {
        var ml = model.Ml;
        var other = ml.Data.LoadFromEnumerable(new[] { new WideRow(), new WideRow() });

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => model.Transformer.Transform(other));

        Assert.Contains("1×36×40", error.Message);
        Assert.Contains("1×36×36", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => ml.Model.CreatePredictionEngine<WideRow, Prediction>(model.Transformer));
    }

    [Fact]
    public void Scoring_input_without_the_feature_column_is_refused_by_name()
    {
        var data = model.Ml.Data.LoadFromEnumerable(new[] { new { Label = true } });

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => model.Transformer.Transform(data));

        Assert.Contains("'Features'", error.Message);
    }

    public sealed class WideRow
    {
        public bool Label { get; set; }

        [VectorType(1, 36, 40)]
        public float[] Features { get; set; } = new float[36 * 40];
    }
}
