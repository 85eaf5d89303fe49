using System.IO.Compression;
using System.Security.Cryptography;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetCnn.Network;
using MlNetCnn.Persistence;
using MlNetCnn.Tests.Support;

namespace MlNetCnn.Tests.Network;

/// <summary>Bring your own network: a TorchScript module made by PyTorch (Fixtures/torchscript), a registered TorchSharp factory, and the residual built-in.</summary>
public sealed class CustomNetworkTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "torchscript", name);

    private static CnnOptions Options(CustomNetwork network, int epochs = 3) => new()
    {
        Epochs = epochs,
        BatchSize = 16,
        LearningRate = 1e-2,
        Seed = 1,
        Threads = 2,
        CustomNetwork = network,
    };

    // Not SyntheticImages' patches, whose classes differ by where a small patch is: a network with global average
    // pooling (as most users' are) cannot see where. Stripes differ everywhere.
    private static (MLContext Ml, IDataView Train, IDataView Valid) Data()
    {
        var ml = new MLContext(seed: 1);
        return (ml, ml.Data.LoadFromEnumerable(Stripes(160, 1)), ml.Data.LoadFromEnumerable(Stripes(64, 2)));
    }

    /// <summary>1×H×36 sine stripes (period 4–8 pixels, random phase) under noise: vertical for positives, horizontal for negatives.</summary>
    private static List<ImageRow> Stripes(int count, int seed, int height = ImageRow.Side)
    {
        const int side = ImageRow.Side;
        var random = new Random(seed);
        var rows = new List<ImageRow>();
        for (var i = 0; i < count; i++)
        {
            var positive = i % 2 == 0;
            var phase = random.NextDouble() * 2 * Math.PI;
            var period = 4 + random.NextDouble() * 4;
            var pixels = new float[height * side];
            for (var y = 0; y < height; y++)
            for (var x = 0; x < side; x++)
                pixels[y * side + x] = (float)(0.5 + 0.3 * Math.Sin(2 * Math.PI * (positive ? x : y) / period + phase) + (random.NextDouble() - 0.5) * 0.4);
            rows.Add(new ImageRow { Label = positive, Features = pixels });
        }
        return rows;
    }

    [Fact]
    public void A_TorchScript_module_from_PyTorch_trains_with_validation_early_stopping_threshold_choice_and_callbacks()
    {
        var (ml, train, valid) = Data();
        var epochsSeen = new List<int>();
        var options = Options(CustomNetwork.FromTorchScript(Fixture("small_net.pt")), epochs: 6);
        options.ValidationSet = valid;
        // No epoch after the first can lower the validation loss by a whole nat (an untrained network's is ln 2): early
        // stopping, and nothing else, ends the run after epoch 1 + patience, and restores epoch 1. The callback only records.
        options.EarlyStoppingPatience = 2;
        options.EarlyStoppingMinDelta = 1;
        options.ThresholdSelection = ThresholdSelection.MaxF1;
        options.Callbacks.Add(new RecordingCallback(epochsSeen));
        var log = new LogCapture(ml);

        using var model = new CnnEstimator(ml, options).Fit(train);

        Assert.Equal(new[] { 1, 2, 3 }, epochsSeen);
        Assert.Equal(3, model.Report.History.Count);
        Assert.Equal(1, model.Report.BestEpoch);
        Assert.Contains("Early stopping after epoch 3: Loss has not improved for 2 epochs; restoring epoch 1.", log.Infos);
        Assert.True(model.Report.History[^1].TrainingLoss < model.Report.History[0].TrainingLoss, $"the loss did not fall: {model.Report.History[0].TrainingLoss} → {model.Report.History[^1].TrainingLoss}");
        // Epoch 1's weights, as a one-epoch run leaves them.
        using (var oneEpoch = new CnnEstimator(ml, Options(CustomNetwork.FromTorchScript(Fixture("small_net.pt")), epochs: 1)).Fit(train))
            Assert.Equal(Scores.Column(oneEpoch.Transform(valid)), Scores.Column(model.Transform(valid)));

        // The threshold is the one of highest F1 on the validation images, midway between two adjacent probabilities.
        var probabilities = Scores.Column(model.Transform(valid), CnnTransformer.ProbabilityColumnName);
        var labels = valid.GetColumn<bool>(nameof(ImageRow.Label)).ToArray();
        var (threshold, f1) = HighestF1(probabilities, labels);
        Assert.Equal(threshold, model.Threshold, 1e-6);
        Assert.Contains($"Threshold chosen on validation by MaxF1: {model.Threshold:G6}.", log.Infos);
        Assert.Equal(f1, F1(probabilities, labels, model.Threshold));
        Assert.True(f1 > 0.9, $"F1 {f1}");
        Assert.True(model.HasCustomNetwork);
        Assert.Null(model.Network);
        Assert.StartsWith("TorchScript module", model.NetworkDescription);
        Assert.Equal(ScoringEngine.LibTorch, model.ScoringEngine);
    }

    /// <summary>F1 when a probability at or above <paramref name="threshold"/> is predicted positive.</summary>
    private static double F1(float[] probabilities, bool[] labels, float threshold)
    {
        int tp = 0, fp = 0, fn = 0;
        for (var i = 0; i < labels.Length; i++)
        {
            var predicted = probabilities[i] >= threshold;
            if (predicted && labels[i]) tp++;
            else if (predicted) fp++;
            else if (labels[i]) fn++;
        }
        return tp == 0 ? 0 : 2.0 * tp / (2.0 * tp + fp + fn);
    }

    /// <summary>By trying every cut: the lowest threshold of highest F1, midway between adjacent distinct probabilities, and that F1.</summary>
    private static (float Threshold, double F1) HighestF1(float[] probabilities, bool[] labels)
    {
        var distinct = probabilities.Distinct().Order().ToArray();
        var cuts = distinct.Zip(distinct.Skip(1), (low, high) => low + (high - low) / 2).Prepend(0f).Append(MathF.BitIncrement(distinct[^1]));
        return cuts.Select(t => (Threshold: t, F1: F1(probabilities, labels, t))).MaxBy(c => c.F1);
    }

    [Fact]
    public void A_TorchScript_model_travels_in_the_zip_and_scores_bit_identically_in_a_fresh_process_without_the_file()
    {
        using var folder = new TempFolder();
        var images = PngFolder.Write(folder.File("images"), 48, 3);
        var script = folder.File("net.pt");
        File.Copy(Fixture("small_net.pt"), script);
        var ml = new MLContext(seed: 1);
        var paths = images.Select(e => Path.Combine(folder.File("images"), e.ImagePath)).ToArray();
        var rows = ml.Data.LoadFromEnumerable(images.Select((e, i) => new PathRow { ImagePath = paths[i], Label = e.Label }).ToList());
        var options = Options(CustomNetwork.FromTorchScript(script));
        // PngFolder's classes differ by where a patch is, which global average pooling cannot see: this test is
        // about the zip, not the fit.
        options.CheckLearnable = false;
        var pipeline = ml.Transforms.LoadCnnImages(new CnnImageOptions { ColorMode = ImageColorMode.Grayscale })
            .Append(new CnnEstimator(ml, options));
        var model = pipeline.Fit(rows);
        var path = folder.File("model.zip");
        ml.Model.Save(model, rows.Schema, path);
        File.Delete(script);
        var expected = Scores.Column(model.Transform(rows));

        var (scores, native) = ScoringProbe.Run(path, paths);

        Assert.Equal(expected, scores);
        Assert.Contains(native, lib => lib.StartsWith("libtorch", StringComparison.Ordinal));
        using var zip = ZipFile.OpenRead(path);
        var archive = ReadEntry(zip, CnnModelFormat.TorchScriptStream, dispose: false);
        Assert.Equal("PK"u8.ToArray(), archive[..2]);
        Assert.DoesNotContain(zip.Entries, e => e.FullName.EndsWith(CnnModelFormat.WeightsStream, StringComparison.Ordinal));
        // The archive is the trained module, not the file it started from.
        Assert.NotEqual(SHA256.HashData(File.ReadAllBytes(Fixture("small_net.pt"))), SHA256.HashData(archive));
        var transformer = model.LastTransformer;
        var exported = folder.File("trained.pt");
        transformer.ExportTorchScript(exported);
        Assert.Equal(archive, File.ReadAllBytes(exported));
    }

    [Fact]
    public void Fitting_twice_with_the_same_seed_gives_identical_scores()
    {
        var (ml, train, valid) = Data();
        using var first = new CnnEstimator(ml, Options(CustomNetwork.FromTorchScript(Fixture("small_net.pt")))).Fit(train);
        using var second = new CnnEstimator(ml, Options(CustomNetwork.FromTorchScript(Fixture("small_net.pt")))).Fit(train);

        Assert.Equal(Scores.Column(first.Transform(valid)), Scores.Column(second.Transform(valid)));
    }

    [Fact]
    public void Batch_norm_statistics_are_refreshed_so_that_evaluation_mode_sees_what_training_learned()
    {
        // A bright square or none: with batch norm before global average pooling, the running statistics of a plain
        // loop put every validation image in one class for epochs (accuracy 0.5 at AUC 1.0; PyTorch 1.13 does the
        // same). Refreshed after each epoch, evaluation mode agrees with training.
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(Squares(160, 1));
        var valid = ml.Data.LoadFromEnumerable(Squares(64, 2));
        var options = Options(CustomNetwork.FromTorchScript(Fixture("small_net.pt")), epochs: 4);
        options.ValidationSet = valid;

        using var model = new CnnEstimator(ml, options).Fit(train);

        Assert.All(model.Report.History.Skip(1), r => Assert.True(r.Validation!.Accuracy > 0.9, $"epoch {r.Epoch}: validation accuracy {r.Validation.Accuracy}"));
    }

    /// <summary>1×36×36 noise in [0, 0.3]; positives also hold one bright 6×6 square at a random place.</summary>
    private static List<ImageRow> Squares(int count, int seed)
    {
        const int side = ImageRow.Side, square = 6;
        var random = new Random(seed);
        var rows = new List<ImageRow>();
        for (var i = 0; i < count; i++)
        {
            var positive = i % 2 == 0;
            var pixels = new float[side * side];
            for (var p = 0; p < pixels.Length; p++)
                pixels[p] = (float)random.NextDouble() * 0.3f;
            if (positive)
            {
                var top = random.Next(0, side - square);
                var left = random.Next(0, side - square);
                for (var y = top; y < top + square; y++)
                for (var x = left; x < left + square; x++)
                    pixels[y * side + x] = 0.9f;
            }
            rows.Add(new ImageRow { Label = positive, Features = pixels });
        }
        return rows;
    }

    [Fact]
    public void The_alarms_watch_a_custom_network_too()
    {
        var (ml, train, valid) = Data();
        var options = Options(CustomNetwork.FromTorchScript(Fixture("small_net.pt")), epochs: 1);
        options.LearningRate = 50;
        options.CheckLearnable = false;
        options.ValidationSet = valid;

        using var model = new CnnEstimator(ml, options).Fit(train);

        Assert.Contains(model.Report.Alarms, a => a.Code == MlNetCnn.Diagnostics.AlarmCodes.Unstable && a.Message.Contains("LearningRate", StringComparison.Ordinal));
    }

    [Fact]
    public void A_module_with_two_outputs_is_refused_before_training_with_the_shapes()
    {
        var (ml, train, _) = Data();
        var epochs = new List<int>();
        var options = Options(CustomNetwork.FromTorchScript(Fixture("two_outputs.pt")));
        options.Callbacks.Add(new RecordingCallback(epochs));

        var error = Assert.Throws<ArgumentException>(() => new CnnEstimator(ml, options).Fit(train));

        Assert.Contains("[2, 1, 36, 36]", error.Message);
        Assert.Contains("[2, 2]", error.Message);
        Assert.Contains("one logit per image", error.Message);
        Assert.Empty(epochs);
    }

    [Fact]
    public void A_custom_network_trains_in_float32_and_refuses_BFloat16()
    {
        var (ml, train, _) = Data();
        var options = Options(CustomNetwork.FromTorchScript(Fixture("small_net.pt")), epochs: 1);
        options.Precision = Precision.BFloat16;

        var error = Assert.Throws<ArgumentException>(() => new CnnEstimator(ml, options).Fit(train));

        Assert.Equal(nameof(CnnOptions.Precision), error.ParamName);
        Assert.Contains("Precision BFloat16 is for the built-in network", error.Message);
        options.Precision = Precision.Auto;
        using var model = new CnnEstimator(ml, options).Fit(train);
        Assert.Single(model.Report.History);
        // And it scores in Float32 only.
        Assert.Equal(Precision.Float32, model.TrainingPrecision);
        Assert.Equal(Precision.Float32, model.ActiveScoringPrecision);
        var refusal = Assert.Throws<NotSupportedException>(() => model.WithScoringPrecision(Precision.BFloat16));
        Assert.Contains("scores in Float32 only", refusal.Message);
    }

    [Fact]
    public void A_module_without_parameters_is_refused()
    {
        var (ml, train, _) = Data();

        var error = Assert.Throws<ArgumentException>(() => new CnnEstimator(ml, Options(CustomNetwork.FromTorchScript(Fixture("no_parameters.pt")))).Fit(train));

        Assert.Contains("no trainable parameters", error.Message);
    }

    [Fact]
    public void Images_the_module_cannot_take_are_refused_with_the_shapes()
    {
        var ml = new MLContext(seed: 1);
        var colour = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 8).Select(i => new ColourRow { Label = i % 2 == 0, Features = new float[3 * 16 * 16] }).ToList());

        var error = Assert.Throws<ArgumentException>(() => new CnnEstimator(ml, Options(CustomNetwork.FromTorchScript(Fixture("small_net.pt")))).Fit(colour));

        Assert.Contains("cannot take images of 3×16×16", error.Message);
        Assert.Contains("[2, 3, 16, 16]", error.Message);
    }

    [Fact]
    public void Bytes_that_are_not_a_TorchScript_archive_are_refused_naming_the_formats()
    {
        var error = Assert.Throws<InvalidDataException>(() => CustomNetwork.FromTorchScript(new byte[] { 1, 2, 3, 4, 5 }, "weights.bin"));

        Assert.Contains("weights.bin is not a TorchScript archive", error.Message);
        Assert.Throws<FileNotFoundException>(() => CustomNetwork.FromTorchScript(Fixture("missing.pt")));
    }

    [Fact]
    public void A_TorchScript_network_has_no_ONNX_form_and_says_which_layer()
    {
        var (ml, train, _) = Data();
        using var model = new CnnEstimator(ml, Options(CustomNetwork.FromTorchScript(Fixture("small_net.pt")), epochs: 1)).Fit(train);
        using var folder = new TempFolder();

        var error = Assert.Throws<NotSupportedException>(() => model.ExportOnnx(folder.File("model.onnx")));

        Assert.Contains("'features'", error.Message);
        Assert.False(File.Exists(folder.File("model.onnx")));
        Assert.Throws<NotSupportedException>(() => model.WithScoringEngine(ScoringEngine.OnnxRuntime));
    }

    [Fact]
    public void A_TorchScript_networks_layers_are_described_with_their_parameters()
    {
        var (ml, train, _) = Data();
        using var model = new CnnEstimator(ml, Options(CustomNetwork.FromTorchScript(Fixture("small_net.pt")), epochs: 1)).Fit(train);

        var layers = model.DescribeNetwork();

        // conv 1→16 3×3 (160), bn (32), conv 16→16 3×3 (2,320), bn (32), linear 16→1 (17).
        Assert.Equal(160 + 32 + 2320 + 32 + 17, model.ParameterCount);
        Assert.Contains(layers, l => l.Name == "features.0" && l.Parameters == 160);
        Assert.Contains(layers, l => l.Name == "head" && l.Parameters == 17);
    }

    [Fact]
    public void A_factory_network_round_trips_through_the_zip_without_batch_counters()
    {
        var (ml, train, valid) = Data();
        using var model = new CnnEstimator(ml, Options(CustomNetwork.FromFactory(TinyNetworkFactory.Name, "16"))).Fit(train);
        using var folder = new TempFolder();
        var path = folder.File("model.zip");
        ml.Model.Save(model, train.Schema, path);

        var loaded = (CnnTransformer)ml.Model.Load(path, out _);

        Assert.Equal(Scores.Column(model.Transform(valid)), Scores.Column(loaded.Transform(valid)));
        Assert.Equal("factory 'test.tiny-net' (16)", loaded.NetworkDescription);
        var weights = NetworkWeights.Read(ReadEntry(ZipFile.OpenRead(path), CnnModelFormat.WeightsStream));
        Assert.Contains(weights.Tensors, t => t.Name == "bn.running_mean");
        Assert.DoesNotContain(weights.Tensors, t => t.Name.Contains("num_batches_tracked", StringComparison.Ordinal));
        Assert.True(ml.BinaryClassification.Evaluate(loaded.Transform(valid)).Accuracy > 0.8);
        loaded.Dispose();
    }

    [Fact]
    public void Loading_a_model_whose_factory_is_not_deployed_names_the_factory_and_the_assembly()
    {
        var (ml, train, _) = Data();
        using var model = new CnnEstimator(ml, Options(CustomNetwork.FromFactory(TinyNetworkFactory.Name), epochs: 1)).Fit(train);
        using var folder = new TempFolder();
        var path = folder.File("model.zip");
        ml.Model.Save(model, train.Schema, path);
        RewriteNetworkStream(path, "test.gone-net", "Gone.Assembly, Version=1.2.3.4, Culture=neutral, PublicKeyToken=null");

        var error = Assert.ThrowsAny<Exception>(() => ml.Model.Load(path, out _));

        var message = string.Join(" | ", Chain(error).Select(e => e.Message));
        Assert.Contains("'test.gone-net'", message);
        Assert.Contains("Gone.Assembly, Version=1.2.3.4", message);
    }

    [Fact]
    public void An_unregistered_factory_is_refused_before_training_listing_the_registered_ones()
    {
        var (ml, train, _) = Data();

        var error = Assert.Throws<ArgumentException>(() => new CnnEstimator(ml, Options(CustomNetwork.FromFactory("no-such-net"))).Fit(train));

        Assert.Contains("'no-such-net'", error.Message);
        Assert.Contains($"'{TinyNetworkFactory.Name}'", error.Message);
        Assert.Contains($"'{CustomNetwork.ResidualFactoryName}'", error.Message);
    }

    [Fact]
    public void The_residual_network_trains_on_any_image_size_and_its_ONNX_export_scores_as_LibTorch_does()
    {
        var ml = new MLContext(seed: 1);
        // 1×36×36 cropped to 1×28×36: the residual network has no flatten size to fit.
        var rows = Stripes(160, 1, height: 28).Select(r => new OddRow { Label = r.Label, Features = r.Features }).ToList();
        var train = ml.Data.LoadFromEnumerable(rows);
        using var model = new CnnEstimator(ml, Options(CustomNetwork.Residual(16, 16), epochs: 4)).Fit(train);

        Assert.Equal(ScoringEngine.OnnxRuntime, model.ScoringEngine);
        Assert.Equal(ScoringEngine.OnnxRuntime, model.ActiveScoringEngine);
        var onnx = Scores.Column(model.Transform(train));
        using var libTorch = model.WithScoringEngine(ScoringEngine.LibTorch);
        var torch = Scores.Column(libTorch.Transform(train));
        for (var i = 0; i < onnx.Length; i++)
            Assert.True(Math.Abs(onnx[i] - torch[i]) < 1e-3 * Math.Max(1, Math.Abs(torch[i])), $"row {i}: ONNX {onnx[i]}, LibTorch {torch[i]}");
        Assert.True(ml.BinaryClassification.Evaluate(model.Transform(train)).Accuracy > 0.9);
        Assert.Contains(model.DescribeNetwork(), l => l.Name == "stages.1.shortcut.conv");
    }

    [Fact]
    public void The_residual_network_refuses_images_below_its_minimum_and_bad_settings()
    {
        var ml = new MLContext(seed: 1);
        var tiny = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 8).Select(i => new TinyRow { Label = i % 2 == 0, Features = new float[4 * 4] }).ToList());

        var small = Assert.Throws<ArgumentException>(() => new CnnEstimator(ml, Options(CustomNetwork.Residual())).Fit(tiny));
        var settings = Assert.Throws<ArgumentException>(() => new CnnEstimator(ml, Options(CustomNetwork.FromFactory(CustomNetwork.ResidualFactoryName, "16,x"))).Fit(SyntheticImages.DataView(ml, 8, 1)));

        Assert.Contains($"at least {ResidualNetwork.MinimumImageSide}×{ResidualNetwork.MinimumImageSide}", small.Message);
        Assert.Contains("'x' is not a whole number", settings.Message);
    }

    [Fact]
    public void A_TorchScript_run_resumes_from_its_checkpoint_as_an_unbroken_run_ends()
    {
        var (ml, train, _) = Data();
        using var folder = new TempFolder();
        CnnOptions WithCheckpoints(int epochs)
        {
            var o = Options(CustomNetwork.FromTorchScript(Fixture("small_net.pt")), epochs);
            o.CheckpointFolder = folder.File("checkpoints");
            o.ResumeFromCheckpoint = true;
            return o;
        }
        using var unbroken = new CnnEstimator(ml, Options(CustomNetwork.FromTorchScript(Fixture("small_net.pt")), 3)).Fit(train);
        using (new CnnEstimator(ml, WithCheckpoints(2)).Fit(train))
        {
        }

        using var resumed = new CnnEstimator(ml, WithCheckpoints(3)).Fit(train);

        Assert.Equal(unbroken.Report.History.Select(r => r.TrainingLoss), resumed.Report.History.Select(r => r.TrainingLoss));
        Assert.Equal(Scores.Column(unbroken.Transform(train)), Scores.Column(resumed.Transform(train)));
    }

    private static byte[] ReadEntry(ZipArchive zip, string stream, bool dispose = true)
    {
        using (dispose ? zip : null)
        {
            var entry = zip.Entries.Single(e => e.FullName.EndsWith("/" + stream, StringComparison.Ordinal) || e.FullName == stream);
            using var data = entry.Open();
            using var copy = new MemoryStream();
            data.CopyTo(copy);
            return copy.ToArray();
        }
    }

    private static void RewriteNetworkStream(string path, string factory, string assembly)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Update);
        var entry = zip.Entries.Single(e => e.FullName.EndsWith("/" + CnnModelFormat.NetworkStream, StringComparison.Ordinal));
        var name = entry.FullName;
        entry.Delete();
        using var writer = new BinaryWriter(zip.CreateEntry(name).Open());
        writer.Write(2);
        writer.Write(factory);
        writer.Write("");
        writer.Write(assembly);
    }

    private static IEnumerable<Exception> Chain(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
            yield return x;
    }

    private sealed class RecordingCallback(List<int> epochs, int? stopAfter = null) : ITrainingCallback
    {
        public void OnEpochEnd(TrainingContext context)
        {
            epochs.Add(context.Epoch);
            if (context.Epoch == stopAfter)
                context.RequestStop();
        }
    }

    private sealed class PathRow
    {
        public string ImagePath { get; set; } = "";

        public bool Label { get; set; }
    }

    private sealed class ColourRow
    {
        public bool Label { get; set; }

        [VectorType(3, 16, 16)]
        public float[] Features { get; set; } = [];
    }

    private sealed class OddRow
    {
        public bool Label { get; set; }

        [VectorType(1, 28, 36)]
        public float[] Features { get; set; } = [];
    }

    private sealed class TinyRow
    {
        public bool Label { get; set; }

        [VectorType(1, 4, 4)]
        public float[] Features { get; set; } = [];
    }
}
