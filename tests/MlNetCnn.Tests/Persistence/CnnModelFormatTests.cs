using Microsoft.ML;
using MlNetCnn.Persistence;
using MlNetCnn.Tests.Support;

namespace MlNetCnn.Tests.Persistence;

public sealed class CnnModelFormatTests : IClassFixture<TrainedModel>
{
    private readonly TrainedModel model;

    public CnnModelFormatTests(TrainedModel model) => this.model = model;

    [Fact]
    public void Save_then_load_in_a_fresh_context_gives_bit_identical_scores_and_the_same_settings()
    {
        using var folder = new TempFolder();
        var path = folder.File("model.zip");
        model.Ml.Model.Save(model.Transformer, model.Train.Schema, path);

        var fresh = new MLContext();
        var loaded = fresh.Model.Load(path, out var inputSchema);

        var cnn = Assert.IsType<CnnTransformer>(loaded);
        Assert.Equal(model.Transformer.Geometry, cnn.Geometry);
        Assert.Equal(model.Transformer.Network, cnn.Network);
        Assert.Equal(model.Transformer.Threshold, cnn.Threshold);
        Assert.Equal(model.Transformer.BatchSize, cnn.BatchSize);
        Assert.Equal(model.Train.Schema.Count, inputSchema.Count);
        Assert.Equal(Scores.Column(model.Transformer.Transform(model.Test)), Scores.Column(loaded.Transform(model.Test)));
        cnn.Dispose();
    }

    [Fact]
    public void The_weights_travel_in_a_named_stream_and_a_model_without_it_is_refused_saying_so()
    {
        using var folder = new TempFolder();
        var path = folder.File("model.zip");
        model.Ml.Model.Save(model.Transformer, model.Train.Schema, path);
        Assert.Contains(ModelZip.Entries(path), e => e.EndsWith(CnnModelFormat.WeightsStream, StringComparison.Ordinal));
        ModelZip.RemoveEntries(path, e => e.EndsWith(CnnModelFormat.WeightsStream, StringComparison.Ordinal));

        var error = LoadRefusal.OfOurLoader(Assert.ThrowsAny<Exception>(() => new MLContext().Model.Load(path, out _)));

        Assert.Equal($"The CNN model in this file is damaged: the weights stream '{CnnModelFormat.WeightsStream}' is missing.", error.Message);
    }

    [Fact]
    public void A_model_written_by_a_newer_format_is_refused_with_a_message_that_says_so()
    {
        using var folder = new TempFolder();
        var path = folder.File("model.zip");
        model.Ml.Model.Save(model.Transformer, model.Train.Schema, path);
        ModelZip.SetModelVersion(path, CnnModelFormat.ModelSignature, written: 0x00090001, readable: 0x00090001);

        var error = LoadRefusal.OfOurLoader(Assert.ThrowsAny<Exception>(() => new MLContext().Model.Load(path, out _)));

        Assert.StartsWith("This CNN model was saved in a newer MlNetCnn model format (0x00090001", error.Message);
        Assert.Contains("Upgrade MlNetCnn to load it.", error.Message);
    }

    [Fact]
    public void History_and_best_epoch_travel_in_the_zip()
    {
        using var folder = new TempFolder();
        var path = folder.File("model.zip");
        model.Ml.Model.Save(model.Transformer, model.Train.Schema, path);

        using var loaded = Assert.IsType<CnnTransformer>(new MLContext().Model.Load(path, out _));

        Assert.Equal(model.Transformer.Report.BestEpoch, loaded.Report.BestEpoch);
        Assert.Equal(model.Transformer.Report.History.Count, loaded.Report.History.Count);
        for (var i = 0; i < loaded.Report.History.Count; i++)
            Assert.Equal(model.Transformer.Report.History[i] with { Alarms = loaded.Report.History[i].Alarms }, loaded.Report.History[i]);
        Assert.Contains(ModelZip.Entries(path), e => e.EndsWith(CnnModelFormat.ReportStream, StringComparison.Ordinal));
    }

    [Fact]
    public void Training_accuracy_travels_in_the_zip_and_a_model_of_the_format_before_it_loads_without_it()
    {
        using var folder = new TempFolder();
        var path = folder.File("model.zip");
        model.Ml.Model.Save(model.Transformer, model.Train.Schema, path);
        using (var loaded = Assert.IsType<CnnTransformer>(new MLContext().Model.Load(path, out _)))
            Assert.Equal(model.Transformer.Report.History.Select(r => r.TrainingAccuracy), loaded.Report.History.Select(r => r.TrainingAccuracy));
        // Kept, not NaN: a share of the epoch's 240 training images (15 batches of 16).
        Assert.All(model.Transformer.Report.History, r => Assert.True(Math.Abs(r.TrainingAccuracy * 240 - Math.Round(r.TrainingAccuracy * 240)) < 1e-9, $"{r.TrainingAccuracy}"));

        // Marked as 0x00010004, the file is read as that format's reader reads it: it stops before the new block.
        ModelZip.SetModelVersion(path, CnnModelFormat.ModelSignature, written: 0x00010004, readable: 0x00010002);
        using var old = Assert.IsType<CnnTransformer>(new MLContext().Model.Load(path, out _));

        Assert.Equal(model.Transformer.Report.History.Select(r => r.TrainingLoss), old.Report.History.Select(r => r.TrainingLoss));
        Assert.All(old.Report.History, r => Assert.True(double.IsNaN(r.TrainingAccuracy)));
        Assert.Equal(Scores.Column(model.Transformer.Transform(model.Test)), Scores.Column(old.Transform(model.Test)));
    }

    [Fact]
    public void A_threshold_chosen_on_validation_is_stored_and_used_after_load()
    {
        var ml = model.Ml;
        var options = SyntheticImages.FastOptions(epochs: 2);
        options.ValidationFraction = 0.3;
        options.ThresholdSelection = MlNetCnn.ThresholdSelection.MaxF1;
        using var t = new CnnEstimator(ml, options).Fit(model.Train);
        Assert.NotEqual(0.5f, t.Threshold);

        using var folder = new TempFolder();
        var path = folder.File("model.zip");
        ml.Model.Save(t, model.Train.Schema, path);
        using var loaded = Assert.IsType<CnnTransformer>(new MLContext().Model.Load(path, out _));

        Assert.Equal(t.Threshold, loaded.Threshold);
        var scored = loaded.Transform(model.Test);
        var probability = Scores.Column(scored, CnnTransformer.ProbabilityColumnName);
        Assert.Equal(probability.Select(p => p >= t.Threshold), Scores.Predicted(scored));
    }
}
