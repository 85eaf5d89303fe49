using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetCnn.Network;

namespace MlNetCnn.Bench;

/// <summary>
/// Issue 28: which levers use a training budget well on small data. <c>--levers --train DIR --valid DIR --variants
/// A;B;…</c> trains the CLI's default recipe (conv 16, 32, 64, dense 500, 500, 36×36 stretched, batch 64, Adam 1e-3,
/// cosine, mirror, seed 1) with each variant's changes on the images of two labels.csv folders, decoded once and kept
/// in memory, and measures each model on the validation folder: as trained, and with mirror test-time averaging (the
/// mean logit of each image and its mirror, computed here, offline). A variant is changes joined by '+':
/// <c>epochs:30</c>, <c>time:120</c> (seconds), <c>shift:2</c>,
/// <c>noflip</c>, <c>lr:0.002</c>, <c>wd:1e-4</c>, <c>es:5</c> (early stopping), <c>esm:Accuracy</c> (what it watches; loss by default), <c>seed:2</c>,
/// <c>conv:32,64,128</c>, <c>dense:500,500</c>, <c>batch:32</c>;
/// <c>base</c> is none. The weight average (<c>ema:0.998</c>), random resized crops (<c>crop:0.6</c>) and label smoothing
/// (<c>ls:0.1</c>) were measured at commit 70119a6, whose library had them as options; they did not earn a place in it
/// (bench/RESULTS.md, issue 28).
/// </summary>
internal static class LeverBench
{
    public const string Flag = "--levers";
    private const int Side = 36;

    private sealed class Row
    {
        public bool Label { get; set; }

        [VectorType(1, Side, Side)]
        public float[] Features { get; set; } = [];
    }

    public static int Run(string[] args)
    {
        MlNetCnn.Native.TorchRuntime.EnsureLoaded();
        var header = RunHeader.Read(args);
        var train = Load(BenchSettings.Value(args, "--train") ?? throw new ArgumentException("--train DIR"));
        var valid = Load(BenchSettings.Value(args, "--valid") ?? throw new ArgumentException("--valid DIR"));
        var variants = (BenchSettings.Value(args, "--variants") ?? "base").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var s = new StringBuilder();
        s.AppendLine($"- **Data:** {train.Count} training images ({train.Count(r => r.Label)} positive) from {BenchSettings.Value(args, "--train")}, " +
            $"{valid.Count} validation images from {BenchSettings.Value(args, "--valid")}; 36×36 stretched, grey, decoded once.");
        s.AppendLine();
        s.AppendLine("| variant | epochs | best epoch | accuracy | AUC | mirror TTA accuracy | mirror TTA AUC | last training accuracy | training s | load (1-min) start → end | log |");
        s.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        Console.Error.WriteLine(s.ToString());
        foreach (var variant in variants)
        {
            var line = RunVariant(variant, train, valid);
            Console.Error.WriteLine(line);
            s.AppendLine(line);
        }
        var text = header.ToMarkdown(RunHeader.ReadLoadAverage()) + Environment.NewLine + s;
        Console.WriteLine(text);
        if (BenchSettings.Value(args, "--markdown") is { } path)
            File.WriteAllText(path, text);
        return 0;
    }

    private static string RunVariant(string variant, List<Row> train, List<Row> valid)
    {
        var ml = new MLContext(seed: 1);
        var notes = new List<string>();
        ml.Log += (_, e) =>
        {
            if (e.Source.Contains("Cnn", StringComparison.Ordinal) && (e.RawMessage.StartsWith("Time budget", StringComparison.Ordinal) ||
                e.RawMessage.StartsWith("Early stopping", StringComparison.Ordinal) ||
                e.RawMessage.StartsWith("Fit took", StringComparison.Ordinal)))
                notes.Add(e.RawMessage);
        };
        var options = new CnnOptions
        {
            Network = new NetworkShape([16, 32, 64], NetworkShape.Default.KernelSize, NetworkShape.Default.PoolSize, NetworkShape.Default.HiddenUnits),
            BatchSize = 64,
            LearningRate = 1e-3,
            LearningRateSchedule = LearningRateSchedule.Cosine,
            RandomHorizontalFlip = true,
            Seed = 1,
            Epochs = 8,
        };
        foreach (var change in variant.Split('+', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var (name, value) = change.Split(':', 2) is [var n, var v] ? (n, v) : (change, "");
            double D() => double.Parse(value, CultureInfo.InvariantCulture);
            switch (name)
            {
                case "base": break;
                case "epochs": options.Epochs = (int)D(); break;
                case "time":
                    options = Without(options, o => o.TrainingTime = TimeSpan.FromSeconds(D()));
                    break;
                case "shift": options.RandomShiftPixels = (int)D(); break;
                case "noflip": options.RandomHorizontalFlip = false; break;
                case "lr": options.LearningRate = D(); break;
                case "wd": options.WeightDecay = D(); break;
                case "es": options.EarlyStoppingPatience = (int)D(); break;
                case "esm": options.EarlyStoppingMetric = Enum.Parse<ValidationMetric>(value, ignoreCase: true); break;
                case "seed": options.Seed = (int)D(); break;
                case "conv": options.Network = options.Network with { ConvolutionChannels = value.Split(',').Select(int.Parse).ToArray() }; break;
                case "dense": options.Network = options.Network with { HiddenUnits = value.Split(',').Select(int.Parse).ToArray() }; break;
                case "batch": options.BatchSize = (int)D(); break;
                default: throw new ArgumentException($"unknown change '{change}' in variant '{variant}'");
            }
        }
        var trainView = ml.Data.LoadFromEnumerable(train);
        var validView = ml.Data.LoadFromEnumerable(valid);
        options.ValidationSet = validView;
        var load = RunHeader.ReadLoadAverage().Split(' ')[0];
        var clock = Stopwatch.StartNew();
        using var model = new CnnEstimator(ml, options).Fit(trainView);
        var seconds = clock.Elapsed.TotalSeconds;
        var loadEnd = RunHeader.ReadLoadAverage().Split(' ')[0];
        var labels = valid.Select(r => r.Label).ToArray();
        var scores = model.Transform(validView).GetColumn<float>(CnnTransformer.ScoreColumnName).ToArray();
        var mirrored = model.Transform(ml.Data.LoadFromEnumerable(valid.Select(Mirror).ToList())).GetColumn<float>(CnnTransformer.ScoreColumnName).ToArray();
        var averaged = scores.Zip(mirrored, (a, b) => (a + b) / 2).ToArray();
        var history = model.Report.History;
        if (Environment.GetEnvironmentVariable("LEVERS_HISTORY") is { Length: > 0 } folder)
        {
            Directory.CreateDirectory(folder);
            File.WriteAllLines(Path.Combine(folder, string.Concat(variant.Split(Path.GetInvalidFileNameChars())) + ".csv"),
                history.Select(r => string.Create(CultureInfo.InvariantCulture,
                    $"{r.Epoch},{r.TrainingLoss:F4},{r.TrainingAccuracy:F4},{r.Validation?.Loss:F4},{r.Validation?.Accuracy:F4},{r.Validation?.Auc:F4},{r.LearningRate:G4},{r.Seconds:F2}")).Prepend("epoch,trainLoss,trainAcc,validLoss,validAcc,validAuc,lr,seconds"));
        }
        return string.Create(CultureInfo.InvariantCulture,
            $"| {variant} | {history.Count} | {model.Report.BestEpoch} | {Accuracy(scores, labels):F4} | {Auc(scores, labels):F4} | {Accuracy(averaged, labels):F4} | {Auc(averaged, labels):F4} | " +
            $"{history[^1].TrainingAccuracy:F4} | {seconds:F1} | {load} → {loadEnd} | {string.Join(" ", notes).Replace("|", "/", StringComparison.Ordinal)} |");
    }

    // A copy of the options with Epochs left unset (so that a budget decides them), then changed.
    private static CnnOptions Without(CnnOptions o, Action<CnnOptions> change)
    {
        var copy = new CnnOptions
        {
            Network = o.Network,
            BatchSize = o.BatchSize,
            LearningRate = o.LearningRate,
            LearningRateSchedule = o.LearningRateSchedule,
            RandomHorizontalFlip = o.RandomHorizontalFlip,
            RandomShiftPixels = o.RandomShiftPixels,
            WeightDecay = o.WeightDecay,
            EarlyStoppingPatience = o.EarlyStoppingPatience,
            EarlyStoppingMetric = o.EarlyStoppingMetric,
            Seed = o.Seed,
        };
        change(copy);
        return copy;
    }

    private static Row Mirror(Row row)
    {
        var pixels = new float[row.Features.Length];
        for (var y = 0; y < Side; y++)
        for (var x = 0; x < Side; x++)
            pixels[y * Side + x] = row.Features[y * Side + Side - 1 - x];
        return new Row { Label = row.Label, Features = pixels };
    }

    private static double Accuracy(float[] logits, bool[] labels) => logits.Zip(labels).Count(p => p.First >= 0 == p.Second) / (double)labels.Length;

    // The probability that a random positive outscores a random negative, ties counted half (Mann–Whitney).
    private static double Auc(float[] scores, bool[] labels)
    {
        var order = Enumerable.Range(0, scores.Length).OrderBy(i => scores[i]).ToArray();
        double rankSum = 0;
        var i = 0;
        while (i < order.Length)
        {
            var j = i;
            while (j + 1 < order.Length && scores[order[j + 1]] == scores[order[i]]) j++;
            var rank = (i + j) / 2.0 + 1;
            for (var k = i; k <= j; k++)
                if (labels[order[k]]) rankSum += rank;
            i = j + 1;
        }
        var positives = labels.Count(l => l);
        var negatives = labels.Length - positives;
        return (rankSum - positives * (positives + 1) / 2.0) / ((double)positives * negatives);
    }

    // A labels.csv folder, through MlNetCnn's image step as the CLI sets it (36×36, stretched, grey here), into memory.
    private static List<Row> Load(string folder)
    {
        var ml = new MLContext(seed: 1);
        var lines = File.ReadAllLines(Path.Combine(folder, "labels.csv")).Skip(1).Select(l => l.Split(',')).ToList();
        var paths = ml.Data.LoadFromEnumerable(lines.Select(p => new PathRow { ImagePath = Path.Combine(folder, p[0]), Label = bool.Parse(p[1]) }));
        var images = ml.Transforms.LoadCnnImages(new CnnImageOptions { Width = Side, Height = Side }).Fit(paths).Transform(paths);
        var features = images.GetColumn<VBuffer<float>>("Features").Select(v => v.DenseValues().ToArray()).ToList();
        if (features.Count > 0 && features[0].Length != Side * Side)
            throw new InvalidDataException($"{folder}: expected grey {Side}×{Side} images, got {features[0].Length} values per image.");
        return lines.Select((p, i) => new Row { Label = bool.Parse(p[1]), Features = features[i] }).ToList();
    }

    private sealed class PathRow
    {
        public string ImagePath { get; set; } = "";

        public bool Label { get; set; }
    }
}
