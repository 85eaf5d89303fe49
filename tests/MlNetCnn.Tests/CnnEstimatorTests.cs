using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetCnn.Tests.Support;

namespace MlNetCnn.Tests;

public sealed class CnnEstimatorTests : IClassFixture<TrainedModel>
{
    private readonly TrainedModel model;

    public CnnEstimatorTests(TrainedModel model) => this.model = model;

    [Fact]
    public void Fit_learns_two_classes_to_high_accuracy_on_held_apart_rows()
    {
        var metrics = model.Ml.BinaryClassification.Evaluate(model.Transformer.Transform(model.Test));

        Assert.True(metrics.Accuracy >= 0.95, $"accuracy {metrics.Accuracy}");
        Console.WriteLine($"synthetic held-apart accuracy {metrics.Accuracy:F4}, AUC {metrics.AreaUnderRocCurve:F4}");
        Assert.True(metrics.AreaUnderRocCurve >= 0.95, $"AUC {metrics.AreaUnderRocCurve}");
        Assert.InRange(metrics.PositivePrecision, 0.9, 1.0);
    }

    [Fact]
    public void Output_columns_are_score_probability_and_predicted_label_consistent_with_each_other()
    {
        var scored = model.Transformer.Transform(model.Test);
        var schema = scored.Schema;
        Assert.Equal(NumberDataViewType.Single, schema[CnnTransformer.ScoreColumnName].Type);
        Assert.Equal(NumberDataViewType.Single, schema[CnnTransformer.ProbabilityColumnName].Type);
        Assert.Equal(BooleanDataViewType.Instance, schema[CnnTransformer.PredictedLabelColumnName].Type);

        var score = Scores.Column(scored);
        var probability = Scores.Column(scored, CnnTransformer.ProbabilityColumnName);
        var predicted = Scores.Predicted(scored);
        Assert.Equal(120, score.Length);
        for (var i = 0; i < score.Length; i++)
        {
            Assert.Equal(1f / (1f + MathF.Exp(-score[i])), probability[i]);
            Assert.Equal(probability[i] >= model.Transformer.Threshold, predicted[i]);
        }
        Assert.Contains(true, predicted);
        Assert.Contains(false, predicted);
    }

    [Fact]
    public void Training_history_has_one_record_per_epoch_with_falling_loss()
    {
        var history = model.Transformer.Report.History;
        Assert.Equal(3, history.Select(h => h.Epoch).Distinct().Count());
        Assert.True(history[^1].TrainingLoss < history[0].TrainingLoss, string.Join(", ", history.Select(h => h.TrainingLoss)));
        // Images per second is the epoch's 240 training images over its training time, which (without validation) is
        // all of the epoch's recorded seconds but the moment between the two clock readings.
        Assert.All(history, h => Assert.InRange(240 / h.ImagesPerSecond, h.Seconds - 0.1, h.Seconds));
    }

    [Fact]
    public void Validation_set_is_measured_whole_every_epoch_and_logged()
    {
        var ml = new MLContext(seed: 1);
        var log = new List<string>();
        ml.Log += (_, e) => { if (e.Source.Contains("CnnEstimator")) lock (log) log.Add(e.Message); };
        var options = SyntheticImages.FastOptions(epochs: 2);
        options.ValidationSet = SyntheticImages.DataView(ml, 37, seed: 5);
        using var transformer = new CnnEstimator(ml, options).Fit(SyntheticImages.DataView(ml, 96, seed: 4));

        Assert.All(transformer.Report.History, h => Assert.Equal(37, h.Validation!.Count));
        Assert.Contains(log, line => line.Contains("Epoch 1/2") && line.Contains("accuracy") && line.Contains("AUC"));
        Assert.Contains(log, line => line.Contains("Epoch 2/2"));
    }

    [Fact]
    public void The_same_seed_gives_the_same_scores_and_another_seed_does_not()
    {
        var ml = new MLContext(seed: 1);
        var train = SyntheticImages.DataView(ml, 64, seed: 3);
        var test = SyntheticImages.DataView(ml, 20, seed: 9);
        float[] Run(int seed)
        {
            using var t = new CnnEstimator(ml, SyntheticImages.FastOptions(epochs: 1, seed: seed)).Fit(train);
            return Scores.Column(t.Transform(test));
        }

        var first = Run(7);
        Assert.Equal(first, Run(7));
        Assert.NotEqual(first, Run(8));
    }

    [Fact]
    public void Progress_is_reported_for_every_batch_and_epoch_and_cancellation_stops_fit()
    {
        var ml = new MLContext(seed: 1);
        var reports = new List<MlNetCnn.Diagnostics.TrainingProgress>();
        var options = SyntheticImages.FastOptions(epochs: 2);
        options.Progress = new SynchronousProgress<MlNetCnn.Diagnostics.TrainingProgress>(reports.Add);
        using (new CnnEstimator(ml, options).Fit(SyntheticImages.DataView(ml, 64, seed: 3))) { }

        // 64 rows in batches of 16: 4 batch reports and 1 epoch report per epoch.
        Assert.Equal(10, reports.Count);
        Assert.Equal(2, reports.Count(r => r.Completed is not null));
        Assert.All(reports, r => Assert.Equal(4, r.Batches));

        using var cancel = new CancellationTokenSource();
        options = SyntheticImages.FastOptions(epochs: 5);
        options.Progress = new SynchronousProgress<MlNetCnn.Diagnostics.TrainingProgress>(r => { if (r.Batch == 2) cancel.Cancel(); });
        options.CancellationToken = cancel.Token;
        Assert.Throws<OperationCanceledException>(() => new CnnEstimator(ml, options).Fit(SyntheticImages.DataView(ml, 64, seed: 3)));
    }

    [Fact]
    public void GetOutputSchema_adds_the_three_columns()
    {
        var ml = new MLContext();
        var input = SchemaShapes.From(SyntheticImages.DataView(ml, 4, seed: 1).Schema);
        var output = new CnnEstimator(ml, SyntheticImages.FastOptions()).GetOutputSchema(input);

        Assert.Equal(NumberDataViewType.Single, SchemaShapes.Find(output, CnnTransformer.ScoreColumnName)!.Value.ItemType);
        Assert.Equal(NumberDataViewType.Single, SchemaShapes.Find(output, CnnTransformer.ProbabilityColumnName)!.Value.ItemType);
        Assert.Equal(BooleanDataViewType.Instance, SchemaShapes.Find(output, CnnTransformer.PredictedLabelColumnName)!.Value.ItemType);
        Assert.Equal(SchemaShapes.Find(input, "Label"), SchemaShapes.Find(output, "Label"));
    }

    private sealed class SynchronousProgress<T> : IProgress<T>
    {
        private readonly Action<T> report;
        public SynchronousProgress(Action<T> report) => this.report = report;
        public void Report(T value) => report(value);
    }
}
