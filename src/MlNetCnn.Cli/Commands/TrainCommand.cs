using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.ML;
using MlNetCnn.Cli.Data;
using MlNetCnn.Cli.Output;
using MlNetCnn.Cli.Reporting;
using MlNetCnn.Native;
using MlNetCnn.Network;
using MlNetCnn.Training;
using TorchSharp;

namespace MlNetCnn.Cli.Commands;

/// <summary>
/// <c>train</c>: fits image steps + CNN on a labelled folder, measures every epoch on a validation folder, and writes
/// model.zip, curves.png, roc.png and metrics.json into <c>--out</c>. With no options it trains on the shipped data.
/// With <c>--checkpoint DIR</c> each epoch's state is saved there, and <c>--resume</c> continues a killed run from it.
/// </summary>
internal sealed class TrainCommand
{
    /// <summary>Default of <c>--train</c>: the shipped training split, relative to the repository root.</summary>
    public const string DefaultTrainFolder = "data/train";
    /// <summary>Default of <c>--valid</c>: the shipped validation split.</summary>
    public const string DefaultValidFolder = "data/valid";
    /// <summary>Default of <c>--out</c>.</summary>
    public const string DefaultOutFolder = "out";
    /// <summary>Default of <c>--image-size</c>: the smallest side the default network accepts (5×5 conv + 2×2 pool, three times).</summary>
    public const int DefaultImageSize = 36;
    /// <summary>Default of <c>--seed</c>, so that two runs give the same model.</summary>
    public const int DefaultSeed = 1;
    /// <summary>Default of <c>--epochs</c>: about 15 s on two cores with the other defaults.</summary>
    public const int DefaultEpochs = 10;
    /// <summary>Default of <c>--batch-size</c>; with <see cref="DefaultLearningRate"/>, chosen by measurement on the shipped data.</summary>
    public const int DefaultBatchSize = 64;
    /// <summary>
    /// Default of <c>--lr</c>. At the library's 0.001 the 500-unit dense layers overfit 1000 images within a few epochs and
    /// the last epoch's validation accuracy swings between 0.93 and 0.96 from seed to seed; 0.0003 with batches of 64 settles.
    /// </summary>
    public const double DefaultLearningRate = 3e-4;

    private readonly CliConsole console;
    private readonly Option<string> train = new("--train") { Description = "Training folder: labels.csv or two class subfolders.", DefaultValueFactory = _ => DefaultTrainFolder };
    private readonly Option<string> valid = new("--valid") { Description = "Validation folder, measured after every epoch and at the end.", DefaultValueFactory = _ => DefaultValidFolder };
    private readonly Option<int> imageSize = new("--image-size") { Description = "Images are resized to this many pixels a side.", DefaultValueFactory = _ => DefaultImageSize };
    private readonly Option<int> epochs = new("--epochs") { Description = "Passes over the training folder.", DefaultValueFactory = _ => DefaultEpochs };
    private readonly Option<int> batchSize = new("--batch-size") { Description = "Images per training step.", DefaultValueFactory = _ => DefaultBatchSize };
    private readonly Option<double> learningRate = new("--lr") { Description = "Adam's initial learning rate; it follows a cosine schedule down to 0 over the epochs.", DefaultValueFactory = _ => DefaultLearningRate };
    private readonly Option<int> seed = new("--seed") { Description = "Seed of weights and shuffling.", DefaultValueFactory = _ => DefaultSeed };
    private readonly Option<string> output = new("--out") { Description = "Folder for model.zip, curves.png, roc.png, metrics.json.", DefaultValueFactory = _ => DefaultOutFolder };
    private readonly Option<string?> positive = CommonOptions.Positive();
    private readonly Option<bool> skipBadImages = CommonOptions.SkipBadImages();
    private readonly Option<string> convolutions = new("--conv-channels")
    {
        Description = "Output channels of each convolution block, comma-separated.",
        DefaultValueFactory = _ => string.Join(",", NetworkShape.Default.ConvolutionChannels),
    };
    private readonly Option<string?> checkpoint = new("--checkpoint")
    {
        Description = "Folder for a checkpoint after every epoch (DIR/epoch-NNNN; the two newest are kept). A run killed mid-way can go on with --resume.",
    };
    private readonly Option<bool> resume = new("--resume")
    {
        Description = "Continue from the newest complete checkpoint in --checkpoint (same data, image size, network, seed and batch size); " +
            "with none there, start from epoch 1. Gives the losses and weights of an unbroken run.",
    };
    private readonly Option<int?> threads = new("--threads")
    {
        Description = "Threads libtorch uses for each operation (default: one per core). Runs are repeatable for the same seed, data and thread count.",
    };
    private readonly Option<string> dense = new("--dense-units")
    {
        Description = "Units of each hidden dense layer, comma-separated (empty for none).",
        DefaultValueFactory = _ => string.Join(",", NetworkShape.Default.HiddenUnits),
    };

    /// <summary>A command that writes through <paramref name="console"/>.</summary>
    public TrainCommand(CliConsole console) => this.console = console;

    /// <summary>The System.CommandLine command.</summary>
    public Command Build()
    {
        var command = new Command("train", "Train the CNN on a labelled folder; write model.zip, curves.png, roc.png and metrics.json.")
        {
            train, valid, imageSize, epochs, batchSize, learningRate, seed, output, positive, convolutions, dense, checkpoint, resume, threads, skipBadImages,
        };
        command.SetAction(parse => Run(new Settings(
            parse.GetValue(train)!, parse.GetValue(valid)!, parse.GetValue(imageSize), parse.GetValue(epochs), parse.GetValue(batchSize),
            parse.GetValue(learningRate), parse.GetValue(seed), parse.GetValue(output)!, parse.GetValue(positive),
            ParseCounts("--conv-channels", parse.GetValue(convolutions)!), ParseCounts("--dense-units", parse.GetValue(dense)!),
            parse.GetValue(checkpoint), parse.GetValue(resume), parse.GetValue(threads), parse.GetValue(skipBadImages))));
        return command;
    }

    private sealed record Settings(string Train, string Valid, int ImageSize, int Epochs, int BatchSize, double LearningRate, int Seed, string Out, string? Positive, int[] Convolutions, int[] Dense,
        string? Checkpoint, bool Resume, int? Threads, bool SkipBadImages);

    private int Run(Settings s)
    {
        if (s.Threads is not { } count)
            return Train(s);
        if (count < 1)
            throw new CliException($"--threads {count} must be at least 1.");
        // libtorch's thread count is global to the process: put it back for whoever runs the CLI in-process.
        TorchRuntime.EnsureLoaded();
        var previous = torch.get_num_threads();
        torch.set_num_threads(count);
        try
        {
            return Train(s);
        }
        finally
        {
            torch.set_num_threads(previous);
        }
    }

    private int Train(Settings s)
    {
        var clock = Stopwatch.StartNew();
        var shape = new NetworkShape(s.Convolutions, NetworkShape.Default.KernelSize, NetworkShape.Default.PoolSize, s.Dense);
        CheckSettings(s, shape);
        var trainFolder = LabelledFolder.Load(s.Train, s.Positive, "training", s.SkipBadImages);
        var validFolder = LabelledFolder.Load(s.Valid, s.Positive, "validation", s.SkipBadImages);
        CommonOptions.CheckOutFolder(s.Out);
        if (s.Checkpoint is { } checkpointFolder && File.Exists(checkpointFolder))
            throw new CliException($"--checkpoint '{checkpointFolder}' is a file; it must be a folder (it is created when missing).");
        // After the input checks, so that bad input gives its one error line alone.
        SkipWarning.Write(console.Error, trainFolder.Skipped, trainFolder.ListedCount, "training images", "all in metrics.json");
        SkipWarning.Write(console.Error, validFolder.Skipped, validFolder.ListedCount, "validation images", "all in metrics.json");
        console.Out.WriteLine($"Training on {trainFolder}; validating on {validFolder}.");
        console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Images {s.ImageSize}×{s.ImageSize} grey; network {shape}; {s.Epochs} epochs, batch {s.BatchSize}, learning rate {s.LearningRate}, seed {s.Seed}."));

        var ml = new MLContext(s.Seed);
        var imageSteps = ImagePipeline.Create(ml, s.ImageSize);
        var trainView = ImagePipeline.Load(ml, trainFolder.Rows);
        var validView = ImagePipeline.Load(ml, validFolder.Rows);
        var progress = new TrainingProgressView(console);
        var options = new CnnOptions
        {
            LabelColumnName = nameof(ImageRow.Label),
            FeatureColumnName = ImagePipeline.FeaturesColumn,
            Epochs = s.Epochs,
            BatchSize = s.BatchSize,
            LearningRate = s.LearningRate,
            // Cosine annealing settles the last epochs, so the model written is not one caught mid-swing.
            LearningRateSchedule = LearningRateSchedule.Cosine,
            Seed = s.Seed,
            Network = shape,
            ValidationSet = imageSteps.Fit(validView).Transform(validView),
            Progress = progress,
            CancellationToken = console.Cancellation,
            CheckpointFolder = s.Checkpoint,
            ResumeFromCheckpoint = s.Resume,
            // The folders were checked above; an image that changes after that is left out (CNN009) rather than fatal.
            SkipUnreadableRows = s.SkipBadImages,
        };
        var fitClock = Stopwatch.StartNew();
        var model = progress.Run(() => imageSteps.Append(new CnnEstimator(ml, options)).Fit(trainView));
        try
        {
            var trainingSeconds = fitClock.Elapsed.TotalSeconds;
            var history = model.LastTransformer.History;
            if (s.Resume)
                console.Out.WriteLine(DescribeResume(s, progress.FirstEpoch, history.Count));
            ReportTables.WriteHistory(console.Ansi, history);
            // The library's health checks (e.g. predictions collapsed to one class): warnings, not failures.
            foreach (var alarm in model.LastTransformer.Alarms)
                console.Error.WriteLine($"mlnetcnn: warning: {alarm.Message}");
            var evaluation = Evaluation.Run(ml, model, validFolder);
            ReportTables.WriteMetrics(console.Ansi, evaluation);

            var files = new OutputFiles(s.Out);
            AtomicFile.Write(files.Model, stream => ml.Model.Save(model, trainView.Schema, stream));
            Plots.WriteCurves(files.Curves, history, model.LastTransformer.BestEpoch);
            Plots.WriteRoc(files.Roc, RocCurve.Points(evaluation.Probabilities, evaluation.Labels), evaluation.Metrics.AreaUnderRocCurve, $"validation: {validFolder}");
            MetricsFile.Write(files.Metrics, evaluation, Describe(s, shape, trainFolder, trainingSeconds, history), history,
                s.SkipBadImages ? new Dictionary<string, IReadOnlyList<SkippedImage>> { ["train"] = trainFolder.Skipped, ["valid"] = validFolder.Skipped } : null);
            console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Validation accuracy {evaluation.Metrics.Accuracy:F4}, AUC {evaluation.Metrics.AreaUnderRocCurve:F4}; " +
                $"training took {trainingSeconds:F1} s ({MeanImagesPerSecond(history):F0} images/s), the whole command {clock.Elapsed.TotalSeconds:F1} s."));
            console.Out.WriteLine($"Wrote {files.Model}, {files.Curves}, {files.Roc}, {files.Metrics}.");
            return CliApp.Success;
        }
        finally
        {
            (model.LastTransformer as IDisposable)?.Dispose();
        }
    }

    private static void CheckSettings(Settings s, NetworkShape shape)
    {
        if (s.Epochs < 1)
            throw new CliException($"--epochs {s.Epochs} must be at least 1.");
        if (s.BatchSize < 2)
            throw new CliException($"--batch-size {s.BatchSize} must be at least 2 (batch normalisation needs two images per step).");
        if (!(s.LearningRate > 0) || double.IsInfinity(s.LearningRate))
            throw new CliException($"--lr {s.LearningRate.ToString(CultureInfo.InvariantCulture)} must be a positive number.");
        if (s.Resume && s.Checkpoint is null)
            throw new CliException("--resume needs --checkpoint DIR: the folder of the run to continue.");
        if (s.ImageSize < shape.MinimumImageSide)
            throw new CliException($"--image-size {s.ImageSize} is too small for the network ({shape}): it needs at least {shape.MinimumImageSide}.");
    }

    private static string DescribeResume(Settings s, int? firstTrained, int epochsInHistory) => firstTrained switch
    {
        1 => $"No checkpoint in '{s.Checkpoint}' to resume from: trained from epoch 1.",
        { } first => $"Resumed from the checkpoint in '{s.Checkpoint}' after epoch {first - 1}.",
        null => $"The checkpoint in '{s.Checkpoint}' already held all {epochsInHistory} epochs: nothing left to train.",
    };

    private static JsonObject Describe(Settings s, NetworkShape shape, LabelledFolder trainFolder, double seconds, IReadOnlyList<Diagnostics.EpochRecord> history) => new()
    {
        ["train"] = Path.GetFullPath(s.Train),
        ["trainCount"] = trainFolder.Rows.Count,
        ["imageSize"] = s.ImageSize,
        ["epochs"] = s.Epochs,
        ["batchSize"] = s.BatchSize,
        ["learningRate"] = s.LearningRate,
        ["seed"] = s.Seed,
        ["threads"] = torch.get_num_threads(),
        ["checkpoint"] = s.Checkpoint is null ? null : Path.GetFullPath(s.Checkpoint),
        ["resumed"] = s.Resume,
        ["network"] = shape.ToString(),
        ["seconds"] = seconds,
        ["imagesPerSecond"] = MeanImagesPerSecond(history),
        ["alarms"] = new JsonArray(history.SelectMany(r => r.Alarms).Select(a => (JsonNode)JsonValue.Create(a.Message)!).ToArray()),
    };

    private static double MeanImagesPerSecond(IReadOnlyList<Diagnostics.EpochRecord> history) =>
        history.Count == 0 ? 0 : history.Average(r => r.ImagesPerSecond);

    private static int[] ParseCounts(string option, string text)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var counts = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out counts[i]) || counts[i] < 1)
                throw new CliException($"{option} '{text}' must be positive whole numbers separated by commas, e.g. 64,64,128.");
        }
        return counts;
    }
}
