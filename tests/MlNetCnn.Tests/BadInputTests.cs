using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetCnn.Tests.Support;

namespace MlNetCnn.Tests;

public sealed class BadInputTests
{
    private readonly MLContext ml = new(seed: 1);

    private CnnEstimator Estimator(CnnOptions? options = null) => new(ml, options ?? SyntheticImages.FastOptions(epochs: 1));

    [Fact]
    public void Fit_rejects_a_missing_label_column_by_name()
    {
        var data = ml.Data.LoadFromEnumerable(SyntheticImages.Rows(8, 1).Select(r => new { r.Features }));
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Estimator(new CnnOptions { LabelColumnName = "IsBoot", Network = SyntheticImages.SmallNetwork, ImageChannels = 1, ImageHeight = 36, ImageWidth = 36 }).Fit(data));
        Assert.Contains("'IsBoot'", error.Message);
    }

    [Fact]
    public void Fit_rejects_a_missing_feature_column_by_name()
    {
        var data = SyntheticImages.DataView(ml, 8, 1);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Estimator(new CnnOptions { FeatureColumnName = "Pixels" }).Fit(data));
        Assert.Contains("'Pixels'", error.Message);
        Assert.Contains("'Features'", error.Message); // lists what is there
    }

    public sealed class TextLabelRow
    {
        public string Label { get; set; } = "boot";

        [VectorType(1, 36, 36)]
        public float[] Features { get; set; } = new float[36 * 36];
    }

    [Fact]
    public void Fit_rejects_a_label_column_that_is_not_boolean()
    {
        var data = ml.Data.LoadFromEnumerable(new[] { new TextLabelRow(), new TextLabelRow() });
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Estimator().Fit(data));
        Assert.Contains("'Label'", error.Message);
        Assert.Contains("String", error.Message);
        Assert.Contains("Boolean", error.Message);
    }

    public sealed class VariableRow
    {
        public bool Label { get; set; }
        public float[] Features { get; set; } = new float[36 * 36];
    }

    public sealed class DoubleRow
    {
        public bool Label { get; set; }

        [VectorType(1, 36, 36)]
        public double[] Features { get; set; } = new double[36 * 36];
    }

    public sealed class FlatRow
    {
        public bool Label { get; set; }

        [VectorType(36 * 36)]
        public float[] Features { get; set; } = new float[36 * 36];
    }

    [Fact]
    public void Fit_rejects_features_that_are_not_a_known_size_single_vector()
    {
        var variable = Assert.Throws<ArgumentOutOfRangeException>(() => Estimator().Fit(ml.Data.LoadFromEnumerable(new[] { new VariableRow(), new VariableRow { Label = true } })));
        Assert.Contains("variable-size", variable.Message);

        var doubles = Assert.Throws<ArgumentOutOfRangeException>(() => Estimator().Fit(ml.Data.LoadFromEnumerable(new[] { new DoubleRow(), new DoubleRow { Label = true } })));
        Assert.Contains("Double", doubles.Message);
    }

    [Fact]
    public void Fit_needs_a_stated_geometry_for_a_flat_vector_and_accepts_one()
    {
        var rows = SyntheticImages.Rows(32, 2).Select(r => new FlatRow { Label = r.Label, Features = r.Features }).ToList();
        var data = ml.Data.LoadFromEnumerable(rows);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Estimator().Fit(data));
        Assert.Contains("ImageChannels", error.Message);

        var options = SyntheticImages.FastOptions(epochs: 1);
        (options.ImageChannels, options.ImageHeight, options.ImageWidth) = (1, 36, 36);
        using var transformer = Estimator(options).Fit(data);
        Assert.Equal(new ImageGeometry(1, 36, 36), transformer.Geometry);

        (options.ImageChannels, options.ImageHeight, options.ImageWidth) = (3, 36, 36);
        var wrong = Assert.Throws<ArgumentOutOfRangeException>(() => Estimator(options).Fit(data));
        Assert.Contains("3×36×36", wrong.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Fit_rejects_training_data_with_one_class_only_as_CNN007_naming_the_class(bool onlyLabel)
    {
        var error = Assert.Throws<ArgumentException>(() => Estimator().Fit(SyntheticImages.DataView(ml, 10, 1, onlyLabel)));
        Assert.StartsWith("CNN007 one class", error.Message);
        Assert.Contains(onlyLabel ? "true" : "false", error.Message);
    }

    [Fact]
    public void Fit_rejects_empty_training_data()
    {
        var error = Assert.Throws<ArgumentException>(() => Estimator().Fit(SyntheticImages.DataView(ml, 0, 1)));
        Assert.Contains("no rows", error.Message);
    }

    [Fact]
    public void Fit_rejects_images_smaller_than_the_network_allows_naming_the_minimum()
    {
        var rows = Enumerable.Range(0, 4).Select(i => new SmallRow { Label = i % 2 == 0 }).ToList();
        var error = Assert.Throws<ArgumentException>(() => new CnnEstimator(ml, new CnnOptions { Epochs = 1 }).Fit(ml.Data.LoadFromEnumerable(rows)));
        Assert.Contains("36×36", error.Message);
        Assert.Contains("1×28×28", error.Message);
    }

    public sealed class SmallRow
    {
        public bool Label { get; set; }

        [VectorType(1, 28, 28)]
        public float[] Features { get; set; } = new float[28 * 28];
    }

    [Theory]
    [InlineData(0, 32, 1e-3, 0.5f, "Epochs")]
    [InlineData(1, 1, 1e-3, 0.5f, "BatchSize")]
    [InlineData(1, 32, 0.0, 0.5f, "LearningRate")]
    [InlineData(1, 32, double.NaN, 0.5f, "LearningRate")]
    [InlineData(1, 32, 1e-3, 1.5f, "Threshold")]
    public void Options_out_of_range_are_refused_naming_the_setting(int epochs, int batchSize, double learningRate, float threshold, string setting)
    {
        var options = new CnnOptions { Epochs = epochs, BatchSize = batchSize, LearningRate = learningRate, Threshold = threshold };
        var error = Assert.ThrowsAny<ArgumentException>(() => new CnnEstimator(ml, options));
        Assert.Equal(setting, error.ParamName);
    }

    [Fact]
    public void GetOutputSchema_fails_early_on_a_label_of_the_wrong_type()
    {
        var shape = SchemaShapes.From(ml.Data.LoadFromEnumerable(new[] { new TextLabelRow() }).Schema);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Estimator().GetOutputSchema(shape));
        Assert.Contains("'Label'", error.Message);
    }
}
