using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetCnn.Cli.Data;
using MlNetCnn.Cli.Output;
using MlNetCnn.Cli.Reporting;
using MlNetCnn.Cli.Settings;
using MlNetCnn.Diagnostics;
using MlNetCnn.Native;
using MlNetCnn.Persistence;

namespace MlNetCnn.Cli.Commands;

/// <summary>
/// <c>train</c>: fits MlNetCnn's image step + CNN on a labelled folder, measures every epoch on a validation folder (or
/// a held-out share of the training folder), and writes model.zip, curves.png, roc.png, errors.png and metrics.json
/// into <c>--out</c>. With no options it trains on the shipped data. Every setting is a flag (see <see cref="TrainSettings"/>)
/// and can come from <c>--config FILE.json</c>; flags override the file.
/// </summary>
internal sealed class TrainCommand
{
    /// <summary>Default of <c>--seed</c> (and the seed of the other commands' ML.NET context).</summary>
    public const int DefaultSeed = TrainTable.DefaultSeed;
    /// <summary>Default of <c>--out</c>.</summary>
    public const string DefaultOutFolder = TrainTable.DefaultOutFolder;

    private readonly CliConsole console;
    private readonly Option<string?> config = new("--config")
    {
        Description = "[data] A JSON object of settings by name (the keys are the setting names in metrics.json's \"options\", e.g. {\"Epochs\": 20, \"LearningRateSchedule\": \"Step\"}); flags given override it.",
    };
    private readonly SettingFlags flags = new(TrainSettings.Catalog);

    /// <summary>A command that writes through <paramref name="console"/>.</summary>
    public TrainCommand(CliConsole console) => this.console = console;

    /// <summary>The System.CommandLine command.</summary>
    public Command Build()
    {
        var command = new Command("train", "Train the CNN on a labelled folder; write model.zip, curves.png, roc.png, errors.png and metrics.json. " +
            $"Options are grouped: {string.Join(" ", TrainSettings.Catalog.Groups.Select(g => $"[{g}]"))}.");
        command.Options.Add(config);
        foreach (var option in flags.Options)
            command.Options.Add(option);
        command.SetAction(parse => Train(Settings(parse)));
        return command;
    }

    // Defaults, then the config file, then every flag given on the command line.
    private TrainSettings Settings(ParseResult parse)
    {
        var settings = parse.GetValue(config) is { } file ? TrainSettings.FromConfig(file) : new TrainSettings();
        foreach (var (setting, value) in flags.Given(parse))
            settings.Set(setting, value);
        settings.UsePhotoDefaultsWithABackbone();
        return settings;
    }

    private int Train(TrainSettings s)
    {
        var clock = Stopwatch.StartNew();
        var own = s.Command();
        var options = Checked(s);
        var imageOptions = s.Checked(s.ImageOptions, o => o.Validate());
        var (listedTrain, listedValid) = LoadFolders(s, own, options);
        CommonOptions.CheckOutFolder(own.Out);
        if (options.CheckpointFolder is { } checkpointFolder && File.Exists(checkpointFolder))
            throw new CliException($"{TrainSettings.Flag(nameof(CnnOptions.CheckpointFolder))} '{checkpointFolder}' is a file; it must be a folder (it is created when missing).");

        // Every listed image goes to the library, which reads each once and reports those it left out once, before
        // training: there --skip-bad-images decides whether that may be (without it, the first stops train, naming it).
        var ml = new MLContext(options.Seed);
        var imageStep = ImagePipeline.Create(ml, imageOptions);
        var trainView = ImagePipeline.Load(ml, listedTrain.Rows);
        var validView = ImagePipeline.Load(ml, listedValid.Rows);
        var fittedImages = imageStep.Fit(trainView);
        // The library's own check that the built-in network fits the images, before any is read: it is the image
        // size the command line chose. (Fit checks a custom network, and says so under --network.)
        if (options.CustomNetwork is null)
            s.Checked(() => options.Network, shape => shape.CheckFits(fittedImages.Geometry), nameof(TrainCommandSettings.ImageSize));
        var skipBadImages = options.SkipUnreadableRows;
        var (trainFolder, validFolder) = (listedTrain, listedValid);
        options.SkipUnreadableRows = true;
        options.Callbacks.Add(new DataReadCallback(leftOut =>
        {
            trainFolder = listedTrain.LeaveOut(Reasons(listedTrain, leftOut, RowSet.Training), skipBadImages, "training");
            validFolder = listedValid.LeaveOut(Reasons(listedValid, leftOut, RowSet.Validation), skipBadImages, "validation");
            Announce(s, options, trainFolder, validFolder, fittedImages);
        }));
        if (options.Precision != Precision.Float32)
            options.Callbacks.Add(new TrainingBeginCallback(context => console.Out.WriteLine(context.PrecisionReason)));
        var length = new RunLength(console.Out.WriteLine);
        options.Callbacks.Add(length);
        var progress = new TrainingProgressView(console);
        // Cached when they fit (unless the flag says): the same model, without a decoder beside training every epoch.
        options.CacheImages = own.CacheImages ?? (long)(listedTrain.Rows.Count + listedValid.Rows.Count) * fittedImages.Geometry.Size * sizeof(float) <= TrainTable.DefaultCacheBudgetBytes;
        // The command holds out its share itself (it reports on those images), and hands them over as the validation set.
        options.ValidationFraction = 0;
        options.ValidationSet = fittedImages.Transform(validView);
        options.Progress = progress;
        options.CancellationToken = console.Cancellation;
        if (trainFolder.HasClassNames)
        {
            options.PositiveClassName = trainFolder.PositiveName;
            options.NegativeClassName = trainFolder.NegativeName;
        }
        var fitClock = Stopwatch.StartNew();
        CnnTransformer cnn;
        try
        {
            cnn = progress.Run(() => new CnnEstimator(ml, options).Fit(fittedImages.Transform(trainView)));
        }
        catch (ArgumentException e) when (TrainSettings.Catalog.Answering(e.ParamName) is not null)
        {
            // What Fit checks against the images (a custom network) comes back under its flag too.
            throw s.Refusal(e);
        }
        var model = new TransformerChain<ITransformer>(fittedImages, cnn);
        try
        {
            var trainingSeconds = fitClock.Elapsed.TotalSeconds;
            var history = cnn.Report.History;
            if (options.ResumeFromCheckpoint)
                console.Out.WriteLine(DescribeResume(options.CheckpointFolder, progress.FirstEpoch, history.Count));
            ReportTables.WriteHistory(console.Ansi, history);
            // The library's health checks (e.g. predictions collapsed to one class): warnings, not failures. Its
            // unreadable-rows alarm was said, with the files, as the skip warning.
            foreach (var alarm in cnn.Report.Alarms.Where(a => a.Code != AlarmCodes.UnreadableRows))
                console.Error.WriteLine($"mlnetcnn: warning: {alarm.Message}");
            var evaluation = Evaluation.Run(ml, model, validFolder);
            ReportTables.WriteMetrics(console.Ansi, evaluation);

            var files = new OutputFiles(own.Out);
            AtomicFile.Write(files.Model, stream => ml.Model.Save(model, trainView.Schema, stream), createFolder: true);
            Plots.WriteCurves(files.Curves, history, cnn.Report.BestEpoch);
            Plots.WriteRoc(files.Roc, evaluation, $"validation: {validFolder}");
            ErrorSheet.Write(files.Errors, ml, model, evaluation);
            MetricsFile.Write(files.Metrics, evaluation, Describe(s, options, trainFolder, trainingSeconds, history, cnn, fittedImages, length), history,
                skipBadImages ? new Dictionary<string, IReadOnlyList<SkippedImage>> { ["train"] = trainFolder.Skipped, ["valid"] = validFolder.Skipped } : null,
                new Dictionary<string, IReadOnlyList<IgnoredFile>> { ["train"] = trainFolder.Ignored, ["valid"] = validFolder.Ignored });
            console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Validation accuracy {evaluation.Metrics.Accuracy:F4}, AUC {evaluation.Metrics.AreaUnderRocCurve:F4}; " +
                $"{length.Describe(trainingSeconds)} ({MeanImagesPerSecond(history):F0} images/s), the whole command {DurationText.Describe(clock.Elapsed)}."));
            console.Out.WriteLine($"Wrote {files.Model}, {files.Curves}, {files.Roc}, {files.Errors}, {files.Metrics}.");
            return CliApp.Success;
        }
        finally
        {
            cnn.Dispose();
        }
    }

    // What the run trains on, once the library has read the images: after every input check (the images' too), so
    // that bad input gives its one error line alone.
    private void Announce(TrainSettings s, CnnOptions o, LabelledFolder trainFolder, LabelledFolder validFolder, CnnImageTransformer images)
    {
        IgnoredNote.Write(console.Error, trainFolder.Ignored, trainFolder.Path, "training", "all in metrics.json");
        // A held-out share lists no files of its own: its folder's were named as the training folder's.
        IgnoredNote.Write(console.Error, validFolder.Ignored, validFolder.Path, "validation", "all in metrics.json");
        SkipWarning.Write(console.Error, trainFolder.Skipped, trainFolder.ListedCount, "training images", "all in metrics.json");
        SkipWarning.Write(console.Error, validFolder.Skipped, validFolder.ListedCount, "validation images", "all in metrics.json");
        console.Out.WriteLine($"Training on {trainFolder}; validating on {validFolder}.");
        console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Images {images.Describe()}; network {(o.Backbone is { } backbone ? $"{backbone.Name} backbone + linear head, fine-tuning {DescribeFineTuning(o)}" : o.CustomNetwork?.ToString() ?? o.Network.ToString())}; {RunPlan(s, o)}, batch {o.BatchSize}, " +
            $"learning rate {(o.AutoLearningRate ? "auto (range test first)" : o.LearningRate)} ({o.LearningRateSchedule}), seed {o.Seed}."));
    }

    // What sets the run's length: the epochs given (or a default of the command's), else the time budget.
    private static string RunPlan(TrainSettings s, CnnOptions o) =>
        s[nameof(CnnOptions.Epochs)] is null && o.TrainingTime is { } time ? $"a {DurationText.Describe(time)} time budget" : $"{o.Epochs} epochs";

    // The rows of one input the library left out, as the reasons of the folder's images: an input's positions are the
    // indices of the rows it was loaded from.
    private static string?[] Reasons(LabelledFolder folder, IReadOnlyList<UnreadableRow> leftOut, RowSet set)
    {
        var reasons = new string?[folder.Rows.Count];
        foreach (var row in leftOut.Where(r => r.Set == set))
            reasons[row.Position] = row.Reason;
        return reasons;
    }

    // The library checks every setting; its refusal comes back under the flag's name. The command refuses only what
    // its own flags cannot do together.
    private static CnnOptions Checked(TrainSettings s)
    {
        if (s.IsGiven(nameof(CnnOptions.ValidationFraction)) && s.Command().Valid is not null)
            throw new CliException($"{TrainSettings.Flag(nameof(CnnOptions.ValidationFraction))} holds out part of --train when there is no --valid; give one or the other.");
        return s.Checked(s.ToCnnOptions, options => options.Validate());
    }

    // --train and --valid, or --train with a held-out share, or (neither) the shipped data.
    private static (LabelledFolder Train, LabelledFolder Valid) LoadFolders(TrainSettings s, TrainCommandSettings own, CnnOptions options)
    {
        var skip = options.SkipUnreadableRows;
        if (own.Train is null)
        {
            var shippedTrain = LabelledFolder.Load(TrainTable.DefaultTrainFolder, own.Positive, "training", skip);
            var shippedValid = LabelledFolder.Load(own.Valid ?? TrainTable.DefaultValidFolder, own.Positive, "validation", skip);
            return (shippedTrain, shippedValid);
        }
        var train = LabelledFolder.Load(own.Train, own.Positive, "training", skip);
        if (own.Valid is not null)
            return (train, LabelledFolder.Load(own.Valid, own.Positive, "validation", skip));
        // The library takes 0 (no validation); train measures and reports on held-out images, so it needs some.
        if (options.ValidationFraction == 0)
            throw new CliException($"{TrainSettings.Flag(nameof(CnnOptions.ValidationFraction))} 0 holds out no images, and train measures the model on held-out ones: give a share above 0, or --valid DIR.");
        return train.Split(options.ValidationFraction, options.Seed ?? TrainTable.DefaultSeed);
    }

    private static string DescribeResume(string? folder, int? firstTrained, int epochsInHistory) => firstTrained switch
    {
        1 => $"No checkpoint in '{folder}' to resume from: trained from epoch 1.",
        { } first => $"Resumed from the checkpoint in '{folder}' after epoch {first - 1}.",
        null => $"The checkpoint in '{folder}' already held all {epochsInHistory} epochs: nothing left to train.",
    };

    private static JsonObject Describe(TrainSettings s, CnnOptions options, LabelledFolder trainFolder, double seconds, IReadOnlyList<EpochRecord> history, CnnTransformer cnn, CnnImageTransformer images,
        RunLength length) => new()
    {
        ["train"] = Path.GetFullPath(trainFolder.Path),
        ["trainCount"] = trainFolder.Rows.Count,
        ["imageSize"] = s.Command().ImageSize,
        ["images"] = images.Describe(),
        ["channels"] = images.Channels,
        ["imagesCached"] = options.CacheImages,
        ["epochs"] = length.PlannedEpochs,
        ["timeBudget"] = length.ToJson(seconds),
        ["batchSize"] = options.BatchSize,
        ["learningRate"] = history.Count > 0 ? history[0].LearningRate : options.LearningRate,
        ["learningRateSearch"] = cnn.Report.LearningRateSearch is { } search
            ? new JsonObject { ["suggested"] = search.SuggestedLearningRate, ["batches"] = search.Batches, ["seconds"] = search.Seconds }
            : null,
        ["seed"] = options.Seed,
        ["threads"] = TorchSharp.torch.get_num_threads(),
        ["precision"] = cnn.Report.Precision.ToString(),
        ["precisionReason"] = cnn.Report.PrecisionReason,
        ["checkpoint"] = options.CheckpointFolder is null ? null : Path.GetFullPath(options.CheckpointFolder),
        ["resumed"] = options.ResumeFromCheckpoint,
        ["network"] = cnn.NetworkDescription,
        ["positiveClass"] = cnn.PositiveClassName,
        ["negativeClass"] = cnn.NegativeClassName,
        ["threshold"] = cnn.Threshold,
        ["bestEpoch"] = cnn.Report.BestEpoch,
        ["seconds"] = seconds,
        ["imagesPerSecond"] = MeanImagesPerSecond(history),
        ["alarms"] = new JsonArray(history.SelectMany(r => r.Alarms).Select(a => (JsonNode)JsonValue.Create(a.Message)!).ToArray()),
        ["options"] = s.ToJson(),
    };

    private static double MeanImagesPerSecond(IReadOnlyList<EpochRecord> history) =>
        history.Count == 0 ? 0 : history.Average(r => r.ImagesPerSecond);

    private static string DescribeFineTuning(CnnOptions o) => o.FineTuning switch
    {
        FineTuning.Frozen => "none (head only, backbone frozen)",
        FineTuning.LastStages => $"the last {o.UnfrozenStages} stage{(o.UnfrozenStages == 1 ? "" : "s")} after {o.FrozenEpochs} frozen epoch{(o.FrozenEpochs == 1 ? "" : "s")} at {o.BackboneLearningRateFactor:G3}× the rate",
        _ => $"all layers after {o.FrozenEpochs} frozen epoch{(o.FrozenEpochs == 1 ? "" : "s")} at {o.BackboneLearningRateFactor:G3}× the rate",
    };
}
