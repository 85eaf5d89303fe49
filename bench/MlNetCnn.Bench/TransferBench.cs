using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetCnn.Bench;

/// <summary>
/// <c>--transfer [--photos DIR] [--take N]</c>: issue 25's targets, the peer and ours in one process on one photo
/// folder (DIR/train and DIR/test, each with class folders cats and dogs; dogs is the positive class). (1) ML.NET's
/// own transfer learning: LoadImages → ResizeImages(224) → ExtractPixels → DnnFeaturizeImage(ResNet18) → L-BFGS
/// logistic regression; (2) MlNetCnn with the same ResNet18.onnx, head only; (3) MlNetCnn with the CLI's defaults
/// (one frozen epoch, then the whole backbone). Each row records the load average before and after it, since a
/// shared machine's load moves the figures more than anything measured here.
/// </summary>
internal static class TransferBench
{
    public const string Flag = "--transfer";
    private const string PositiveClass = "dogs";
    private const string NegativeClass = "cats";
    // ML.NET's DnnImageFeaturizer sample: ResNet18 takes 224×224.
    private const int Side = 224;
    // The targets of issue 25.
    private const double SpeedTarget = 1.5;
    private const double TrainingMinutesTarget = 3;

    private sealed class Row
    {
        public string ImagePath { get; set; } = "";
        public bool Label { get; set; }
    }

    private sealed record Result(string Name, double Accuracy, double Auc, double FitSeconds, double FitImagesPerSecond,
        double ScoreImagesPerSecond, string LoadBefore, string LoadAfter);

    public static int Run(string[] args)
    {
        var take = BenchSettings.Value(args, "--take", int.MaxValue);
        var photos = BenchSettings.Value(args, "--photos") ?? DefaultPhotoFolder();
        if (photos is null || !Directory.Exists(Path.Combine(photos, "train")) || !Directory.Exists(Path.Combine(photos, "test")))
        {
            Console.Error.WriteLine($"mlnetcnn-bench: no photo folder with train/ and test/ at '{photos ?? "../shared/data/photos-dev"}'. Pass one with --photos DIR (class folders {NegativeClass} and {PositiveClass} under each).");
            return 2;
        }
        MlNetCnn.Native.TorchRuntime.EnsureLoaded();
        var header = RunHeader.Read(args);
        var train = Rows(Path.Combine(photos, "train"), take);
        var test = Rows(Path.Combine(photos, "test"), take);
        Console.Error.WriteLine($"{header.CpuModel}; load {header.LoadAverage}; {train.Length} training and {test.Length} test photos from {photos}");

        var results = new List<Result>
        {
            Measure("ML.NET DnnFeaturizeImage(ResNet18) + LbfgsLogisticRegression", MlNetPeer, train, test),
            Measure("MlNetCnn ResNet18, head only (FineTuning.Frozen)", ml => Ours(ml, FineTuning.Frozen), train, test),
            Measure($"MlNetCnn ResNet18, CLI defaults (FineTuning.All, {CnnOptions.DefaultFrozenEpochs} frozen epoch)", ml => Ours(ml, FineTuning.All), train, test),
        };
        var report = Report(header, RunHeader.ReadLoadAverage(), photos, take, train.Length, test.Length, results);
        Console.WriteLine(report);
        return 0;
    }

    // As ML.NET's DnnImageFeaturizer sample builds it (ExtractPixels with its defaults: planar, 0–255, which
    // ResNetPreprocess.onnx expects), with a cache before the trainer: L-BFGS passes over the data many times, and
    // without it each pass would run ResNet18 again. A user of the peer would cache; timing without would flatter us.
    private static IEstimator<ITransformer> MlNetPeer(MLContext ml) =>
        ml.Transforms.LoadImages("ImageObject", null, nameof(Row.ImagePath))
            .Append(ml.Transforms.ResizeImages("ImageObject", Side, Side))
            .Append(ml.Transforms.ExtractPixels("Pixels", "ImageObject"))
            .Append(ml.Transforms.DnnFeaturizeImage("ResNetFeatures", m => m.ModelSelector.ResNet18(ml, m.OutputColumn, m.InputColumn), "Pixels"))
            .AppendCacheCheckpoint(ml)
            .Append(ml.BinaryClassification.Trainers.LbfgsLogisticRegression(nameof(Row.Label), "ResNetFeatures"));

    // The CLI's photo defaults (TrainTable.PhotoDefaults) and its seed, learning rate and schedule.
    private static IEstimator<ITransformer> Ours(MLContext ml, FineTuning fineTuning) =>
        ml.Transforms.LoadCnnImages(new CnnImageOptions
        {
            InputColumnName = nameof(Row.ImagePath),
            Width = Side,
            Height = Side,
            Resize = ImageResizeMode.CenterCrop,
            ColorMode = ImageColorMode.Color,
        }).Append(new CnnEstimator(ml, new CnnOptions
        {
            Backbone = PretrainedBackbone.ResNet18(),
            FineTuning = fineTuning,
            Epochs = 3,
            BatchSize = 32,
            LearningRate = 1e-3,
            LearningRateSchedule = LearningRateSchedule.Cosine,
            RandomHorizontalFlip = false,
            Seed = 1,
        }));

    // Fit on the training photos, evaluate on the test photos, then time batch scoring of the test photos end to end
    // (files to scores) after one untimed pass, so that both sides score warm.
    private static Result Measure(string name, Func<MLContext, IEstimator<ITransformer>> pipeline, Row[] train, Row[] test)
    {
        var loadBefore = RunHeader.ReadLoadAverage();
        Console.Error.WriteLine($"{name}: fitting on {train.Length} photos (load {loadBefore})");
        var ml = new MLContext(seed: 1);
        var trainView = ml.Data.LoadFromEnumerable(train);
        var testView = ml.Data.LoadFromEnumerable(test);
        var clock = Stopwatch.StartNew();
        var model = pipeline(ml).Fit(trainView);
        var fitSeconds = clock.Elapsed.TotalSeconds;
        try
        {
            var metrics = ml.BinaryClassification.Evaluate(model.Transform(testView), nameof(Row.Label));
            PipelineRuns.Consume(model.Transform(testView));
            var scoreSeconds = Timing.Seconds(() => PipelineRuns.Consume(model.Transform(testView)));
            var result = new Result(name, metrics.Accuracy, metrics.AreaUnderRocCurve, fitSeconds, train.Length / fitSeconds,
                test.Length / scoreSeconds, loadBefore, RunHeader.ReadLoadAverage());
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name}: accuracy {result.Accuracy:F3}, fit {fitSeconds:F1} s, scoring {result.ScoreImagesPerSecond:F1} images/s (load {result.LoadAfter})"));
            return result;
        }
        finally
        {
            (model as IDisposable)?.Dispose();
        }
    }

    private static string Report(RunHeader header, string loadAtEnd, string photos, int take, int trainCount, int testCount, IReadOnlyList<Result> results)
    {
        var peer = results[0];
        var s = new StringBuilder();
        s.Append(header.ToMarkdown(loadAtEnd));
        s.AppendLine($"- **Photos:** {photos}: {trainCount} to train, {testCount} to test ({(take == int.MaxValue ? "all" : $"at most {take} per class")}; {PositiveClass} positive)");
        s.AppendLine();
        s.AppendLine(FormattableString.Invariant(
            $"Issue 25's targets: accuracy above ML.NET's; the frozen phase (head only) at least {SpeedTarget}× ML.NET's featurize+fit speed; ") +
            FormattableString.Invariant($"batch scoring at least {SpeedTarget}× ML.NET's; all within {TrainingMinutesTarget} minutes of training. ") +
            "Fit speed is training photos ÷ wall seconds of Fit (ML.NET: featurize + L-BFGS; ours: every epoch); scoring is the test photos " +
            "from file to score in one Transform, after one untimed pass (ours: the default engine, ONNX Runtime). The ratios are ours ÷ ML.NET's. " +
            "All rows ran in this one process, one after the other; the load average beside each row is before → after it.");
        s.AppendLine();
        s.AppendLine("| route | accuracy | AUC | fit s | fit images/s | fit ÷ ML.NET | scoring images/s | scoring ÷ ML.NET | load before → after |");
        s.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
        foreach (var r in results)
        {
            var fitRatio = r == peer ? "1" : (r.FitImagesPerSecond / peer.FitImagesPerSecond).ToString("F2", CultureInfo.InvariantCulture) + "×";
            var scoreRatio = r == peer ? "1" : (r.ScoreImagesPerSecond / peer.ScoreImagesPerSecond).ToString("F2", CultureInfo.InvariantCulture) + "×";
            s.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Name} | {r.Accuracy:F3} | {r.Auc:F3} | {r.FitSeconds:F1} | {r.FitImagesPerSecond:F1} | {fitRatio} | {r.ScoreImagesPerSecond:F1} | {scoreRatio} | {r.LoadBefore} → {r.LoadAfter} |"));
        }
        return s.ToString();
    }

    // DIR/cats/* negative, DIR/dogs/* positive, in name order, at most take of each.
    private static Row[] Rows(string folder, int take) =>
        new[] { (NegativeClass, false), (PositiveClass, true) }
            .SelectMany(c => Directory.EnumerateFiles(Path.Combine(folder, c.Item1)).Order(StringComparer.Ordinal).Take(take)
                .Select(path => new Row { ImagePath = path, Label = c.Item2 }))
            .ToArray();

    // shared/data/photos-dev beside the repository (../shared from /work/main), or beside one of its parents (a worktree under /work/wt).
    private static string? DefaultPhotoFolder()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "data", "photos-dev");
            if (Directory.Exists(candidate))
                return candidate;
        }
        return null;
    }
}
