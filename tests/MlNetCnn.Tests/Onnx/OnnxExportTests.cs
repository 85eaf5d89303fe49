using Microsoft.ML;
using Microsoft.ML.OnnxRuntime;
using MlNetCnn.Tests.Support;
using MlNetCnn.Persistence;

namespace MlNetCnn.Tests.Onnx;

public sealed class OnnxExportTests : IClassFixture<ShippedImagesModel>
{
    private readonly ShippedImagesModel m;

    public OnnxExportTests(ShippedImagesModel m) => this.m = m;

    [Fact]
    public void Onnx_Runtime_on_the_exported_file_agrees_with_libtorch_on_real_images()
    {
        using var folder = new TempFolder();
        var path = folder.File("model.onnx");
        m.Cnn.ExportOnnx(path);
        using var libTorch = m.Cnn.WithScoringEngine(ScoringEngine.LibTorch);
        var expected = Scores.Column(libTorch.Transform(m.Features));

        // Batches of 37 (not a divisor of 400): the batch size is dynamic.
        using var session = new InferenceSession(path);
        var (score, probability, predicted) = RunFile(session, m.ValidFeatures, 37);

        Assert.Equal(m.ValidFeatures.Length, score.Length);
        for (var i = 0; i < score.Length; i++)
        {
            Assert.True(Math.Abs(score[i] - expected[i]) <= 1e-4, $"row {i}: ONNX {score[i]} vs libtorch {expected[i]}");
            Assert.Equal(1 / (1 + Math.Exp(-score[i])), probability[i], 1e-6);
            var ours = Sigmoid(expected[i]) >= m.Cnn.Threshold;
            if (Math.Abs(Sigmoid(expected[i]) - m.Cnn.Threshold) > 1e-5)
                Assert.Equal(ours, predicted[i]);
        }
        // The model is not trivial: both classes are predicted.
        Assert.Contains(true, predicted);
        Assert.Contains(false, predicted);
    }

    [Fact]
    public void ApplyOnnxModel_after_the_same_image_steps_evaluates_as_our_model_does()
    {
        using var folder = new TempFolder();
        var path = folder.File("model.onnx");
        m.Pipeline.ExportOnnx(path);

        var ours = m.Ml.BinaryClassification.Evaluate(m.Pipeline.Transform(m.ValidRows));
        var onnxPipeline = ShippedImages.ImageSteps(m.Ml).Append(OnnxScores.Apply(m.Ml, path)).Fit(m.ValidRows);
        var theirs = m.Ml.BinaryClassification.Evaluate(onnxPipeline.Transform(m.ValidRows));

        Assert.InRange(ours.Accuracy, 0.8, 1.0);
        Assert.Equal(ours.Accuracy, theirs.Accuracy, 1e-4);
        Assert.Equal(ours.AreaUnderRocCurve, theirs.AreaUnderRocCurve, 1e-4);
        Assert.Equal(ours.F1Score, theirs.F1Score, 1e-4);
        Assert.Equal(ours.LogLoss, theirs.LogLoss, 1e-4);
    }

    [Fact]
    public void The_export_carries_the_models_facts_and_the_pipelines_pixel_scaling_in_its_metadata()
    {
        using var folder = new TempFolder();
        var path = folder.File("model.onnx");
        m.Pipeline.ExportOnnx(path);

        using var session = new InferenceSession(path);
        var meta = session.ModelMetadata.CustomMetadataMap;
        Assert.Equal("3", meta["mlnetcnn.channels"]);
        Assert.Equal("36", meta["mlnetcnn.height"]);
        Assert.Equal("36", meta["mlnetcnn.width"]);
        Assert.Equal(m.Cnn.Threshold, float.Parse(meta["mlnetcnn.threshold"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(CnnModelFormat.VersionText, meta["mlnetcnn.model_format"]);
        Assert.StartsWith($"scale {1f / 255:R}, offset 0", meta["mlnetcnn.pixel_scaling"]);
        Assert.Contains("36×36", meta["mlnetcnn.resize"]);
        Assert.Equal("false", meta["mlnetcnn.grayscale"]);

        Assert.Equal(new[] { -1L, 3, 36, 36 }, session.InputMetadata["Features"].Dimensions.Select(d => (long)d));
        Assert.Equal("N", session.InputMetadata["Features"].SymbolicDimensions[0]);
        Assert.Equal(new[] { "PredictedLabel", "Probability", "Score" }, session.OutputMetadata.Keys.Order());
        Assert.Equal(typeof(bool), session.OutputMetadata["PredictedLabel"].ElementType);

        // The transformer alone knows no pixel scaling, and says so rather than guess.
        var alone = folder.File("alone.onnx");
        m.Cnn.ExportOnnx(alone);
        using var aloneSession = new InferenceSession(alone);
        Assert.Contains("ExtractPixels", aloneSession.ModelMetadata.CustomMetadataMap["mlnetcnn.pixel_scaling"]);
    }

    [Fact]
    public void Export_to_a_stream_writes_the_same_bytes_as_to_a_file()
    {
        using var folder = new TempFolder();
        var path = folder.File("model.onnx");
        m.Cnn.ExportOnnx(path);
        using var stream = new MemoryStream();
        m.Cnn.ExportOnnx(stream);
        Assert.Equal(File.ReadAllBytes(path), stream.ToArray());
    }

    [Fact]
    public void Export_to_a_missing_folder_fails_and_leaves_nothing()
    {
        using var folder = new TempFolder();
        var missing = Path.Combine(folder.Path, "no-such-folder", "model.onnx");
        var error = Assert.Throws<DirectoryNotFoundException>(() => m.Cnn.ExportOnnx(missing));
        Assert.Contains("no-such-folder", error.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(folder.Path));
    }

    [Fact]
    public void Export_that_fails_midway_leaves_an_existing_file_untouched_and_no_temporary_file()
    {
        using var folder = new TempFolder();
        var path = folder.File("model.onnx");
        File.WriteAllText(path, "the old model");
        // A read-only folder: the temporary file cannot be created (root ignores permissions, so use a file as the folder).
        var blocked = Path.Combine(path, "inside.onnx");
        Assert.ThrowsAny<IOException>(() => m.Cnn.ExportOnnx(blocked));
        Assert.Equal("the old model", File.ReadAllText(path));
        Assert.Single(Directory.EnumerateFileSystemEntries(folder.Path));
    }

    [Fact]
    public void A_disposed_model_exports_what_it_exported_before()
    {
        // Disposal frees the scoring engine's native memory only; the weights are managed, so the export is the same.
        var copy = m.Cnn.WithScoringEngine(ScoringEngine.OnnxRuntime);
        using var before = new MemoryStream();
        copy.ExportOnnx(before);
        _ = Scores.Column(copy.Transform(m.Features));
        copy.Dispose();
        using var after = new MemoryStream();
        copy.ExportOnnx(after);
        Assert.Equal(before.ToArray(), after.ToArray());
    }

    internal static (float[] Score, float[] Probability, bool[] Predicted) RunFile(InferenceSession session, float[][] features, int batch)
    {
        var size = features[0].Length;
        var score = new List<float>();
        var probability = new List<float>();
        var predicted = new List<bool>();
        for (var start = 0; start < features.Length; start += batch)
        {
            var rows = features.Skip(start).Take(batch).ToArray();
            var flat = rows.SelectMany(r => r).ToArray();
            using var input = OrtValue.CreateTensorValueFromMemory(flat, new long[] { rows.Length, 3, 36, 36 });
            using var outputs = session.Run(new RunOptions(), new[] { "Features" }, new[] { input }, new[] { "Score", "Probability", "PredictedLabel" });
            score.AddRange(outputs[0].GetTensorDataAsSpan<float>().ToArray());
            probability.AddRange(outputs[1].GetTensorDataAsSpan<float>().ToArray());
            predicted.AddRange(outputs[2].GetTensorDataAsSpan<bool>().ToArray());
            Assert.Equal(rows.Length * size, flat.Length);
        }
        return (score.ToArray(), probability.ToArray(), predicted.ToArray());
    }

    private static float Sigmoid(float x) => 1 / (1 + MathF.Exp(-x));
}
