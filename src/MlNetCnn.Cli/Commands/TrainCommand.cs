using System.CommandLine;
using System.CommandLine.Parsing;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetCnn.Cli.Data;
using MlNetCnn.Cli.Output;
using MlNetCnn.Cli.Reporting;
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
    public const int DefaultSeed = TrainSettings.DefaultSeed;
    /// <summary>Default of <c>--out</c>.</summary>
    public const string DefaultOutFolder = TrainSettings.DefaultOutFolder;

    private readonly CliConsole console;
    private readonly Option<string?> config = new("--config")
    {
        Description = "[data] A JSON object of settings by name (the keys are the setting names in metrics.json's \"options\", e.g. {\"Epochs\": 20, \"LearningRateSchedule\": \"Step\"}); flags given override it.",
    };
    private readonly List<Flag> flags;

    /// <summary>A command that writes through <paramref name="console"/>.</summary>
    public TrainCommand(CliConsole console)
    {
        this.console = console;
        var d = new TrainSettings();
        flags =
        [
            Flag.Of<string?>("--train", nameof(TrainSettings.Train), "data", $"Training folder: labels.csv or two class subfolders (read recursively). Not given: the shipped {TrainSettings.DefaultTrainFolder} with {TrainSettings.DefaultValidFolder}."),
            Flag.Of<string?>("--valid", nameof(TrainSettings.Valid), "data", "Validation folder, measured after every epoch and at the end. Not given with --train: a held-out share of --train (--valid-fraction)."),
            Flag.Of<double?>("--valid-fraction", nameof(TrainSettings.ValidationFraction), "data", $"With --train and no --valid: the share of each class held out for validation, chosen with --seed (default {TrainSettings.DefaultValidFraction})."),
            Flag.Of<string?>("--positive", nameof(TrainSettings.Positive), "data", "For class subfolders: the name of the positive one (ignored with labels.csv). The model keeps both class names."),
            Flag.Of<bool>("--skip-bad-images", nameof(TrainSettings.SkipUnreadableRows), "data", CommonOptions.SkipBadImagesDescription),
            Flag.Of<string>("--out", nameof(TrainSettings.Out), "data", $"Folder for model.zip, curves.png, roc.png, errors.png, metrics.json (default {d.Out})."),

            Flag.Of<int>("--image-size", nameof(TrainSettings.ImageSize), "images", $"Images are brought to this many pixels a side (default {d.ImageSize})."),
            Flag.Of<ImageResizeMode>("--resize", nameof(TrainSettings.Resize), "images", $"Stretch (whole picture, aspect ratio lost), CenterCrop (aspect kept, edges cut) or Pad (aspect kept, margins in --background). Default {d.Resize}."),
            Flag.Of<ImageColorMode>("--color", nameof(TrainSettings.ColorMode), "images", $"Auto (colour when a training image is in colour, else grey), Color (R, G, B) or Grayscale. Default {d.ColorMode}."),
            Flag.Of<string>("--background", nameof(TrainSettings.Background), "images", $"What transparent pixels and padded margins show: a colour name or #RRGGBB (default {d.Background}). EXIF orientation is always applied."),

            Flag.Of<int[]>("--conv-channels", nameof(TrainSettings.ConvolutionChannels), "network", $"Output channels of each convolution block, comma-separated (default {string.Join(",", d.ConvolutionChannels)}).", ParseCounts),
            Flag.Of<int[]>("--dense-units", nameof(TrainSettings.HiddenUnits), "network", $"Units of each hidden dense layer, comma-separated, empty for none (default {string.Join(",", d.HiddenUnits)}).", ParseCounts),
            Flag.Of<int>("--kernel-size", nameof(TrainSettings.KernelSize), "network", $"Side of every convolution kernel (default {d.KernelSize})."),
            Flag.Of<int>("--pool-size", nameof(TrainSettings.PoolSize), "network", $"Side of every max-pooling window (default {d.PoolSize})."),
            Flag.Of<string?>("--network", nameof(TrainSettings.CustomNetwork), "network",
                $"{TrainSettings.BuiltInNetworkName} (the default: the question's CNN, sized by the four flags above), {TrainSettings.ResidualNetworkName} or {TrainSettings.ResidualNetworkName}:16,32,64 " +
                $"(a residual network with global average pooling; its stage channels), or {TrainSettings.TorchScriptPrefix}FILE.pt (a module scripted in PyTorch: [N, C, H, W] to [N] or [N, 1] logits; it travels in model.zip)."),

            Flag.Of<int?>("--epochs", nameof(TrainSettings.Epochs), "optimiser", "Passes over the training images (default: as many as fit in --time, fixed after the first and printed; given, it wins over --time)."),
            Flag.Of<TimeSpan?>("--time", nameof(TrainSettings.TrainingTime), "optimiser",
                $"Time budget for training, e.g. 90s, 2m or 1m30s (default {DurationText.Compact(TrainSettings.DefaultTrainingTime)}): the epochs that fit are fixed after the first, the schedule is sized to them, and training ends within 10 % of it, the validation passes included.",
                ParseTime),
            Flag.Of<int>("--batch-size", nameof(TrainSettings.BatchSize), "optimiser", $"Images per training step (default {d.BatchSize})."),
            Flag.Of<string>("--lr", nameof(TrainSettings.LearningRate), "optimiser",
                $"Adam's initial learning rate (default {d.LearningRate.ToString(CultureInfo.InvariantCulture)}), or 'auto': a learning-rate range test (as lr-find) picks it before training.",
                apply: SetLearningRate),
            Flag.Of<double>("--weight-decay", nameof(TrainSettings.WeightDecay), "optimiser", "Adam's L2 weight decay (default 0)."),
            Flag.Of<LearningRateSchedule>("--schedule", nameof(TrainSettings.LearningRateSchedule), "optimiser", $"Constant, Step, Cosine (down to --min-lr over the epochs) or ReduceOnPlateau. Default {d.LearningRateSchedule}."),
            Flag.Of<int>("--step-epochs", nameof(TrainSettings.StepEpochs), "optimiser", $"Step schedule: epochs between reductions (default {d.StepEpochs})."),
            Flag.Of<double>("--step-gamma", nameof(TrainSettings.StepGamma), "optimiser", $"Step schedule: factor of each reduction (default {d.StepGamma.ToString(CultureInfo.InvariantCulture)})."),
            Flag.Of<int>("--plateau-patience", nameof(TrainSettings.PlateauPatience), "optimiser", $"ReduceOnPlateau: epochs without improvement before a reduction (default {d.PlateauPatience})."),
            Flag.Of<double>("--plateau-factor", nameof(TrainSettings.PlateauFactor), "optimiser", $"ReduceOnPlateau: factor of each reduction (default {d.PlateauFactor.ToString(CultureInfo.InvariantCulture)})."),
            Flag.Of<double>("--min-lr", nameof(TrainSettings.MinimumLearningRate), "optimiser", "Floor of every schedule, end point of cosine (default 0)."),

            Flag.Of<bool>("--flip", nameof(TrainSettings.RandomHorizontalFlip), "augmentation", $"Mirror each training image left–right with probability ½ (seeded; default {(d.RandomHorizontalFlip ? "on, --flip false turns it off" : "off")})."),
            Flag.Of<int>("--shift", nameof(TrainSettings.RandomShiftPixels), "augmentation", $"Shift each training image by up to this many pixels each way (seeded; default {d.RandomShiftPixels}, 0 for none)."),
            Flag.Of<bool>("--balance-classes", nameof(TrainSettings.BalanceClasses), "augmentation", "Weigh positives by negatives ÷ positives in the loss, so both classes count equally."),
            Flag.Of<double?>("--pos-weight", nameof(TrainSettings.PositiveClassWeight), "augmentation", "Weight of positive images in the loss (BCE pos_weight; not with --balance-classes)."),

            Flag.Of<string>("--early-stopping", nameof(TrainSettings.EarlyStoppingPatience), "validation",
                $"Stop after this many epochs without improvement of --early-stopping-metric and keep the best epoch's weights (default {d.EarlyStoppingPatience}; off for none).",
                apply: SetPatience),
            Flag.Of<ValidationMetric>("--early-stopping-metric", nameof(TrainSettings.EarlyStoppingMetric), "validation", $"Loss, Accuracy or Auc: what early stopping and ReduceOnPlateau watch (default {d.EarlyStoppingMetric})."),
            Flag.Of<double>("--early-stopping-min-delta", nameof(TrainSettings.EarlyStoppingMinDelta), "validation", $"Smallest change that counts as an improvement (default {d.EarlyStoppingMinDelta.ToString(CultureInfo.InvariantCulture)})."),
            Flag.Of<float>("--threshold", nameof(TrainSettings.Threshold), "validation", $"Predicted positive when the probability is at least this (default {d.Threshold.ToString(CultureInfo.InvariantCulture)})."),
            Flag.Of<ThresholdSelection>("--threshold-selection", nameof(TrainSettings.ThresholdSelection), "validation", $"Fixed (--threshold), MaxF1 or YoudensJ, chosen on the validation images after training. Default {d.ThresholdSelection}."),
            Flag.Of<bool>("--no-learnability-check", nameof(TrainSettings.CheckLearnable), "validation", "Skip the check that the loss can fall on one small batch before training (alarm CNN008).", invert: true),
            Flag.Of<string[]>("--alarms-as-errors", nameof(TrainSettings.AlarmsAsErrors), "validation", $"Alarm codes, comma-separated, that stop training instead of warning ({string.Join(", ", AlarmCodes.All)}).", ParseCodes),

            Flag.Of<int>("--seed", nameof(TrainSettings.Seed), "run", $"Seed of weights, shuffling, augmentation and the held-out share (default {d.Seed})."),
            Flag.Of<int?>("--threads", nameof(TrainSettings.Threads), "run", "Threads libtorch uses for each operation (default: one per core). Runs are repeatable for the same seed, data and thread count."),
            Flag.Of<Precision>("--precision", nameof(TrainSettings.Precision), "run",
                $"Float32, BFloat16 (mixed: bfloat16 convolutions and dense layers, float32 weights; fast only on a CPU with avx512_bf16 or amx_bf16) or Auto (BFloat16 where that is native and right, else Float32). The model is float32 either way. Default {d.Precision}."),
            Flag.Of<string?>("--checkpoint", nameof(TrainSettings.CheckpointFolder), "run", "Folder for a checkpoint after every epoch (DIR/epoch-NNNN; the two newest are kept). A run killed mid-way can go on with --resume."),
            Flag.Of<bool>("--resume", nameof(TrainSettings.ResumeFromCheckpoint), "run", "Continue from the newest complete checkpoint in --checkpoint (same data, image settings, network, seed and batch size); with none there, start from epoch 1. Gives the losses and weights of an unbroken run."),
            Flag.Of<bool?>("--cache-images", nameof(TrainSettings.CacheImages), "run",
                $"Keep every decoded training and validation image in memory (true) or decode them each epoch in a background stream (false). Default: in memory when they fit in {TrainSettings.DefaultCacheBudgetBytes >> 20} MiB; the model is the same either way."),
            Flag.Of<long>("--streaming-memory", nameof(TrainSettings.StreamingMemoryBytes), "run", $"Without --cache-images: bytes of decoded images in flight (default {d.StreamingMemoryBytes})."),
            Flag.Of<ScoringEngine>("--engine", nameof(TrainSettings.ScoringEngine), "run", $"The engine the model scores with, saved in it: OnnxRuntime or LibTorch (default {d.ScoringEngine})."),
            Flag.Of<int?>("--scoring-threads", nameof(TrainSettings.ScoringThreads), "run", "The scoring engine's intra-op threads, saved in the model (default: the engine's)."),
        ];
    }

    /// <summary>The System.CommandLine command.</summary>
    public Command Build()
    {
        var command = new Command("train", "Train the CNN on a labelled folder; write model.zip, curves.png, roc.png, errors.png and metrics.json. " +
            "Options are grouped: [data] [images] [network] [optimiser] [augmentation] [validation] [run].");
        command.Options.Add(config);
        foreach (var flag in flags)
            command.Options.Add(flag.Option);
        command.SetAction(parse => Train(Settings(parse)));
        return command;
    }

    // Defaults, then the config file, then every flag given on the command line.
    private TrainSettings Settings(ParseResult parse)
    {
        var settings = parse.GetValue(config) is { } file ? TrainSettings.FromConfig(file) : new TrainSettings();
        foreach (var flag in flags)
            flag.ApplyIfGiven(parse, settings);
        return settings;
    }

    private int Train(TrainSettings s)
    {
        var clock = Stopwatch.StartNew();
        var options = Checked(s);
        var imageOptions = CheckedImages(s);
        // oneDNN's bfloat16 kernels, where MlNetCnn would cap them off (machines that hide their cache sizes): a
        // process-wide choice, so only when this command is the process (not when a host runs it in-process).
        if (console.OwnsProcess && options.Precision != Precision.Float32 && options.CustomNetwork is null)
            TorchRuntime.AllowBFloat16Kernels();
        var shape = options.Network;
        if (options.CustomNetwork is null && s.ImageSize < shape.MinimumImageSide)
            throw new CliException($"--image-size {s.ImageSize} is too small for the network ({shape}): it needs at least {shape.MinimumImageSide}.");
        var (listedTrain, listedValid) = LoadFolders(s);
        CommonOptions.CheckOutFolder(s.Out);
        if (s.CheckpointFolder is { } checkpointFolder && File.Exists(checkpointFolder))
            throw new CliException($"--checkpoint '{checkpointFolder}' is a file; it must be a folder (it is created when missing).");

        // Every listed image goes to the library, which reads each once and reports those it left out once, before
        // training: there --skip-bad-images decides whether that may be (without it, the first stops train, naming it).
        var ml = new MLContext(s.Seed);
        var imageStep = ImagePipeline.Create(ml, imageOptions);
        var trainView = ImagePipeline.Load(ml, listedTrain.Rows);
        var validView = ImagePipeline.Load(ml, listedValid.Rows);
        var fittedImages = imageStep.Fit(trainView);
        var (trainFolder, validFolder) = (listedTrain, listedValid);
        options.SkipUnreadableRows = true;
        options.Callbacks.Add(new DataReadCallback(leftOut =>
        {
            trainFolder = listedTrain.LeaveOut(Reasons(listedTrain, leftOut, RowSet.Training), s.SkipUnreadableRows, "training");
            validFolder = listedValid.LeaveOut(Reasons(listedValid, leftOut, RowSet.Validation), s.SkipUnreadableRows, "validation");
            Announce(s, trainFolder, validFolder, fittedImages, options.CustomNetwork?.ToString() ?? shape.ToString());
        }));
        if (options.Precision != Precision.Float32)
            options.Callbacks.Add(new TrainingBeginCallback(context => console.Out.WriteLine(context.PrecisionReason)));
        var length = new RunLength(console.Out.WriteLine);
        options.Callbacks.Add(length);
        var progress = new TrainingProgressView(console);
        // Cached when they fit (unless the flag says): the same model, without a decoder beside training every epoch.
        options.CacheImages = s.CacheImages ?? (long)(listedTrain.Rows.Count + listedValid.Rows.Count) * fittedImages.Geometry.Size * sizeof(float) <= TrainSettings.DefaultCacheBudgetBytes;
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
        catch (ArgumentException e) when (e.ParamName == nameof(CnnOptions.CustomNetwork))
        {
            // A custom network is checked against the images when training starts: say so under --network.
            throw FlagError(e, s);
        }
        var model = new TransformerChain<ITransformer>(fittedImages, cnn);
        try
        {
            var trainingSeconds = fitClock.Elapsed.TotalSeconds;
            var history = cnn.History;
            if (s.ResumeFromCheckpoint)
                console.Out.WriteLine(DescribeResume(s, progress.FirstEpoch, history.Count));
            ReportTables.WriteHistory(console.Ansi, history);
            // The library's health checks (e.g. predictions collapsed to one class): warnings, not failures. Its
            // unreadable-rows alarm was said, with the files, as the skip warning.
            foreach (var alarm in cnn.Alarms.Where(a => a.Code != AlarmCodes.UnreadableRows))
                console.Error.WriteLine($"mlnetcnn: warning: {alarm.Message}");
            var evaluation = Evaluation.Run(ml, model, validFolder);
            ReportTables.WriteMetrics(console.Ansi, evaluation);

            var files = new OutputFiles(s.Out);
            AtomicFile.Write(files.Model, stream => ml.Model.Save(model, trainView.Schema, stream), createFolder: true);
            Plots.WriteCurves(files.Curves, history, cnn.BestEpoch);
            Plots.WriteRoc(files.Roc, evaluation, $"validation: {validFolder}");
            ErrorSheet.Write(files.Errors, ml, model, evaluation);
            MetricsFile.Write(files.Metrics, evaluation, Describe(s, options, trainFolder, trainingSeconds, history, cnn, fittedImages, length), history,
                s.SkipUnreadableRows ? new Dictionary<string, IReadOnlyList<SkippedImage>> { ["train"] = trainFolder.Skipped, ["valid"] = validFolder.Skipped } : null,
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
    private void Announce(TrainSettings s, LabelledFolder trainFolder, LabelledFolder validFolder, CnnImageTransformer images, string network)
    {
        IgnoredNote.Write(console.Error, trainFolder.Ignored, trainFolder.Path, "training", "all in metrics.json");
        // A held-out share lists no files of its own: its folder's were named as the training folder's.
        IgnoredNote.Write(console.Error, validFolder.Ignored, validFolder.Path, "validation", "all in metrics.json");
        SkipWarning.Write(console.Error, trainFolder.Skipped, trainFolder.ListedCount, "training images", "all in metrics.json");
        SkipWarning.Write(console.Error, validFolder.Skipped, validFolder.ListedCount, "validation images", "all in metrics.json");
        console.Out.WriteLine($"Training on {trainFolder}; validating on {validFolder}.");
        console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Images {images.Describe()}; network {network}; {RunPlan(s)}, batch {s.BatchSize}, learning rate {(s.AutoLearningRate ? "auto (range test first)" : s.LearningRate)} ({s.LearningRateSchedule}), seed {s.Seed}."));
    }

    // What sets the run's length: the epochs given, or the time budget (the library's epochs without either).
    private static string RunPlan(TrainSettings s) =>
        s.Epochs is { } epochs ? $"{epochs} epochs" : s.TrainingTime is { } time ? $"a {DurationText.Describe(time)} time budget" : $"{CnnOptions.DefaultEpochs} epochs";

    // The rows of one input the library left out, as the reasons of the folder's images: an input's positions are the
    // indices of the rows it was loaded from.
    private static string?[] Reasons(LabelledFolder folder, IReadOnlyList<UnreadableRow> leftOut, RowSet set)
    {
        var reasons = new string?[folder.Rows.Count];
        foreach (var row in leftOut.Where(r => r.Set == set))
            reasons[row.Position] = row.Reason;
        return reasons;
    }

    // The library checks every setting; its complaint comes back under the flag's name.
    private CnnOptions Checked(TrainSettings s)
    {
        if (s.ValidationFraction is { } f && !(f > 0 && f < 1))
            throw new CliException($"--valid-fraction {f.ToString(CultureInfo.InvariantCulture)} must be between 0 and 1 (exclusive).");
        if (s.ValidationFraction is not null && s.Valid is not null)
            throw new CliException("--valid-fraction holds out part of --train when there is no --valid; give one or the other.");
        var options = s.ToCnnOptions();
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            throw FlagError(e, s);
        }
        return options;
    }

    private CnnImageOptions CheckedImages(TrainSettings s)
    {
        var options = s.ImageOptions();
        try
        {
            options.Validate();
        }
        catch (ArgumentException e) when (e.ParamName is nameof(CnnImageOptions.Width) or nameof(CnnImageOptions.Height))
        {
            throw new CliException($"--image-size {s.ImageSize}: {FirstLine(e)}", e);
        }
        return options;
    }

    private CliException FlagError(ArgumentException e, TrainSettings s)
    {
        var key = e.ParamName switch
        {
            nameof(CnnOptions.Network) => nameof(TrainSettings.ConvolutionChannels),
            { } name => name,
            null => null,
        };
        var flag = flags.FirstOrDefault(f => f.Key == key);
        if (flag is null)
            return new CliException(FirstLine(e), e);
        var value = typeof(TrainSettings).GetProperty(flag.Key)!.GetValue(s);
        var shown = value switch
        {
            null => "",
            int[] counts => " " + string.Join(",", counts),
            string[] codes => " " + string.Join(",", codes),
            bool => "",
            IFormattable formattable => " " + formattable.ToString(null, CultureInfo.InvariantCulture),
            _ => " " + value,
        };
        return new CliException($"{flag.Option.Name}{shown}: {FirstLine(e)}", e);
    }

    private static string FirstLine(ArgumentException e) => e.Message.Split(" (Parameter")[0].Split('\n')[0].Trim();

    // --train and --valid, or --train with a held-out share, or (neither) the shipped data.
    private static (LabelledFolder Train, LabelledFolder Valid) LoadFolders(TrainSettings s)
    {
        if (s.Train is null)
        {
            var shippedTrain = LabelledFolder.Load(TrainSettings.DefaultTrainFolder, s.Positive, "training", s.SkipUnreadableRows);
            var shippedValid = LabelledFolder.Load(s.Valid ?? TrainSettings.DefaultValidFolder, s.Positive, "validation", s.SkipUnreadableRows);
            return (shippedTrain, shippedValid);
        }
        var train = LabelledFolder.Load(s.Train, s.Positive, "training", s.SkipUnreadableRows);
        if (s.Valid is not null)
            return (train, LabelledFolder.Load(s.Valid, s.Positive, "validation", s.SkipUnreadableRows));
        return train.Split(s.ValidationFraction ?? TrainSettings.DefaultValidFraction, s.Seed);
    }

    private static string DescribeResume(TrainSettings s, int? firstTrained, int epochsInHistory) => firstTrained switch
    {
        1 => $"No checkpoint in '{s.CheckpointFolder}' to resume from: trained from epoch 1.",
        { } first => $"Resumed from the checkpoint in '{s.CheckpointFolder}' after epoch {first - 1}.",
        null => $"The checkpoint in '{s.CheckpointFolder}' already held all {epochsInHistory} epochs: nothing left to train.",
    };

    private static JsonObject Describe(TrainSettings s, CnnOptions options, LabelledFolder trainFolder, double seconds, IReadOnlyList<EpochRecord> history, CnnTransformer cnn, CnnImageTransformer images,
        RunLength length) => new()
    {
        ["train"] = Path.GetFullPath(trainFolder.Path),
        ["trainCount"] = trainFolder.Rows.Count,
        ["imageSize"] = s.ImageSize,
        ["images"] = images.Describe(),
        ["channels"] = images.Channels,
        ["imagesCached"] = options.CacheImages,
        ["epochs"] = length.PlannedEpochs,
        ["timeBudget"] = length.ToJson(seconds),
        ["batchSize"] = s.BatchSize,
        ["learningRate"] = history.Count > 0 ? history[0].LearningRate : s.LearningRate,
        ["learningRateSearch"] = cnn.LearningRateSearch is { } search
            ? new JsonObject { ["suggested"] = search.SuggestedLearningRate, ["batches"] = search.Batches, ["seconds"] = search.Seconds }
            : null,
        ["seed"] = s.Seed,
        ["threads"] = TorchSharp.torch.get_num_threads(),
        ["precision"] = cnn.TrainingPrecision.ToString(),
        ["checkpoint"] = s.CheckpointFolder is null ? null : Path.GetFullPath(s.CheckpointFolder),
        ["resumed"] = s.ResumeFromCheckpoint,
        ["network"] = cnn.NetworkDescription,
        ["positiveClass"] = cnn.PositiveClassName,
        ["negativeClass"] = cnn.NegativeClassName,
        ["threshold"] = cnn.Threshold,
        ["bestEpoch"] = cnn.BestEpoch,
        ["seconds"] = seconds,
        ["imagesPerSecond"] = MeanImagesPerSecond(history),
        ["alarms"] = new JsonArray(history.SelectMany(r => r.Alarms).Select(a => (JsonNode)JsonValue.Create(a.Message)!).ToArray()),
        ["options"] = s.ToJson(),
    };

    private static double MeanImagesPerSecond(IReadOnlyList<EpochRecord> history) =>
        history.Count == 0 ? 0 : history.Average(r => r.ImagesPerSecond);

    private static int[] ParseCounts(ArgumentResult result)
    {
        var option = ((OptionResult)result.Parent!).Option.Name;
        var text = result.Tokens.Count == 0 ? "" : result.Tokens[0].Value;
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var counts = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out counts[i]) || counts[i] < 1)
                throw new CliException($"{option} '{text}' must be positive whole numbers separated by commas, e.g. 64,64,128.");
        }
        return counts;
    }

    // --time 90s, 2m, 1m30s …: an error System.CommandLine reports like its own.
    private static TimeSpan? ParseTime(ArgumentResult result)
    {
        var text = result.Tokens.Count == 0 ? "" : result.Tokens[0].Value;
        if (DurationText.TryParse(text) is { } time)
            return time;
        result.AddError(DurationText.NotADuration("--time", text));
        return null;
    }

    // --early-stopping N or --early-stopping off.
    private static void SetPatience(TrainSettings settings, string text)
    {
        if (string.Equals(text, "off", StringComparison.OrdinalIgnoreCase))
            settings.EarlyStoppingPatience = null;
        else if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var patience))
            settings.EarlyStoppingPatience = patience;
        else
            throw new CliException($"--early-stopping '{text}' is neither a number of epochs nor 'off'.");
    }

    // --lr RATE or --lr auto.
    private static void SetLearningRate(TrainSettings settings, string text)
    {
        if (string.Equals(text, "auto", StringComparison.OrdinalIgnoreCase))
        {
            settings.AutoLearningRate = true;
            return;
        }
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var rate))
            throw new CliException($"--lr '{text}' is neither a number nor 'auto'.");
        settings.LearningRate = rate;
        settings.AutoLearningRate = false;
    }

    private static string[] ParseCodes(ArgumentResult result) =>
        (result.Tokens.Count == 0 ? "" : result.Tokens[0].Value).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>One flag of <c>train</c>: its option, the setting it sets (by key), and how.</summary>
    private sealed class Flag
    {
        private readonly Func<ParseResult, object?> read;

        private Flag(Option option, string key, Func<ParseResult, object?> read)
        {
            Option = option;
            Key = key;
            this.read = read;
        }

        public Option Option { get; }

        public string Key { get; }

        private Action<TrainSettings, object?>? apply;

        /// <summary>
        /// A flag that sets setting <paramref name="key"/> to its value (negated with <paramref name="invert"/>), or
        /// does what <paramref name="apply"/> says with it.
        /// </summary>
        public static Flag Of<T>(string name, string key, string group, string description, Func<ArgumentResult, T>? parse = null, bool invert = false,
            Action<TrainSettings, T>? apply = null)
        {
            var option = new Option<T>(name) { Description = $"[{group}] {description}" };
            if (parse is not null)
                option.CustomParser = parse;
            return new Flag(option, key, p =>
            {
                var value = p.GetValue(option);
                return invert && value is bool b ? !b : value;
            })
            {
                apply = apply is null ? null : (settings, value) => apply(settings, (T)value!),
            };
        }

        public void ApplyIfGiven(ParseResult parse, TrainSettings settings)
        {
            if (parse.GetResult(Option) is not { Implicit: false })
                return;
            if (apply is not null)
                apply(settings, read(parse));
            else
                typeof(TrainSettings).GetProperty(Key)!.SetValue(settings, read(parse));
        }
    }
}
