using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetCnn.Bench;

/// <summary>
/// Issue 15, mixed precision. <c>--precision</c>: our pipeline Fit in Float32 and in BFloat16 against PyTorch without and
/// with <c>torch.autocast('cpu', bfloat16)</c>, at 64×64 and 244×244, each run in a fresh process, interleaved and
/// repeated. <c>--precision-accuracy</c>: Float32 against BFloat16 on two Fashion-MNIST pairs over three seeds, tested on
/// t10k. A run that needs oneDNN's bfloat16 kernels gets <c>ONEDNN_MAX_CPU_ISA</c> lifted for its own process only.
/// Issue 26 adds the rows as a user gets them: ours with only <c>Precision</c> set (no manual lift, default threads),
/// and PyTorch autocast at its default threads.
/// </summary>
internal static class PrecisionBench
{
    public const string Flag = "--precision";
    public const string AccuracyFlag = "--precision-accuracy";
    public const string ChildFlag = "--precision-child";
    private const string IsaVariable = "ONEDNN_MAX_CPU_ISA";
    // glibc's malloc settings MlNetCnn uses during training (TrainingHeap), for a PyTorch row under the same policy.
    private static readonly Dictionary<string, string> OurMallocThresholds = new()
    {
        ["MALLOC_MMAP_MAX_"] = "0",
        ["MALLOC_TRIM_THRESHOLD_"] = $"{1 << 30}",
    };
    private const int Batch = BenchSettings.DefaultBatchSize;
    private const int WarmupSteps = 2;

    // The accuracy study: the CLI's network and optimiser settings (README, "The CLI's defaults"), 28×28 items padded
    // to 36×36 (the smallest side the 5×5 network takes) with the black background Fashion-MNIST has.
    private static readonly (int Negative, int Positive, string Name)[] Pairs = [(7, 9, "Sneaker / Ankle boot"), (0, 6, "T-shirt / Shirt")];
    private const int StudySide = 36;
    private const int StudyBatch = 64;

    public static int Run(string[] args)
    {
        if (args.Length > 0 && args[0] == ChildFlag)
            return Child(args);
        MlNetCnn.Native.TorchRuntime.EnsureLoaded();
        var header = RunHeader.Read(args);
        // Null: BFloat16 runs lift MlNetCnn's cap as a user would (TorchRuntime.AllowBFloat16Kernels); else that cap, set for their process.
        var bf16Isa = BenchSettings.Value(args, "--bf16-isa");
        var threads = BenchSettings.Value(args, "--threads", Environment.ProcessorCount);
        var report = args.Contains(AccuracyFlag) ? Accuracy(args, bf16Isa, threads) : Speed(args, bf16Isa, threads);
        var text = header.ToMarkdown(RunHeader.ReadLoadAverage()) + Environment.NewLine + report;
        Console.WriteLine(text);
        if (BenchSettings.Value(args, "--markdown") is { } path)
            File.WriteAllText(path, text);
        return 0;
    }

    // ---- speed ----

    private sealed record Row(string Name, string Isa, List<double> ImagesPerSecond, List<string> Notes)
    {
        /// <summary>oneDNN's cap each of our runs reported, for rows whose <see cref="Isa"/> is empty.</summary>
        public List<string> Caps { get; } = [];
    }

    private static string Speed(string[] args, string? bf16Isa, int threads)
    {
        var quick = args.Contains("--quick");
        var repeats = BenchSettings.Value(args, "--repeats", quick ? 1 : 3);
        var sizes = quick
            ? new[] { new SizeSettings(64, 80, 128, 1, 32, 1), new SizeSettings(244, 305, 32, 1, 32, 1) }
            : new[] { new SizeSettings(64, 80, 512, 1, 32, 1), new SizeSettings(244, 305, 64, 1, 32, 1) };
        if (BenchSettings.Value(args, "--sides") is { } sides)
            sizes = sizes.Where(z => sides.Split(',').Contains(z.Side.ToString(CultureInfo.InvariantCulture))).ToArray();
        var settings = BenchSettings.Parse(args) with { Threads = threads, WarmupSteps = WarmupSteps };
        var s = new StringBuilder();
        s.AppendLine($"- **Rows:** ours = the pipeline Fit (LoadImages → ResizeImages → ExtractPixels → CnnEstimator, learnability check off, " +
            $"NetworkShape.Default, batch {Batch}, seed 1) over PNGs, each in a fresh process after a {WarmupSteps}-batch warm-up Fit; " +
            $"PyTorch = bench/pytorch_bench.py on the same images' tensors ({WarmupSteps} warm-up steps), with --autocast for AMP, as it starts by default " +
            $"and again with the glibc malloc settings MlNetCnn uses during training ({string.Join(" ", OurMallocThresholds.Select(v => $"{v.Key}={v.Value}"))}). " +
            $"BFloat16 rows {(bf16Isa is null ? "call TorchRuntime.AllowBFloat16Kernels() first" : $"run with {IsaVariable}={bf16Isa}")}, except the row 'as a user asks for it', " +
            "which sets only CnnOptions.Precision = BFloat16 (no lift by hand, threads by default: the library lifts the cap and chooses the threads). " +
            $"Rows run in turn ({repeats} round(s)); images/s = training images × epochs ÷ seconds; median, range over rounds. Threads {threads} where set; the rows at defaults say what they used.");
        s.AppendLine();
        s.AppendLine("| size | row | oneDNN cap (ONEDNN_MAX_CPU_ISA) during the run | images/s median | range | each round | precision used |");
        s.AppendLine("| --- | --- | --- | --- | --- | --- | --- |");
        var ratios = new StringBuilder();
        var perRound = new StringBuilder();
        foreach (var size in sizes)
        {
            using var set = ImageSet.Write(size.Images, size.Side, size.SourceSide);
            set.ExtractPixels(new MLContext(seed: 1));
            var (ours32, ours16, ours16Memory, ours16Asked) = (new Row("ours, Float32", "", [], []), new Row("ours, BFloat16", "", [], []),
                new Row("ours, BFloat16, CnnEstimator alone (extracted pixels in memory)", "", [], []),
                new Row("ours, BFloat16 as a user asks for it (only Precision set: no lift by hand, threads by default)", "", [], []));
            var (py32, py16, py16Heap, py16Default) = (new Row("PyTorch, FP32", "none (PyTorch's default)", [], []),
                new Row("PyTorch, autocast bfloat16", "none (PyTorch's default)", [], []),
                new Row("PyTorch, autocast bfloat16, MlNetCnn's malloc settings", "none (PyTorch's default)", [], []),
                new Row("PyTorch, autocast bfloat16 at its default threads", "none (PyTorch's default)", [], []));
            var rows = new[] { ours32, ours16, ours16Memory, ours16Asked, py32, py16, py16Heap, py16Default };
            for (var round = 0; round < repeats; round++)
            {
                Log($"{size.Side}×{size.Side}, round {round + 1} of {repeats}; load {RunHeader.ReadLoadAverage()}");
                Ours(ours32, size, Precision.Float32, bf16Isa, threads);
                Ours(ours16, size, Precision.BFloat16, bf16Isa, threads);
                Ours(ours16Memory, size, Precision.BFloat16, bf16Isa, threads, inMemory: true);
                OursAsAsked(ours16Asked, size, Precision.BFloat16);
                Theirs(py32, settings, size, set, autocast: false);
                Theirs(py16, settings, size, set, autocast: true);
                Theirs(py16Heap, settings, size, set, autocast: true, OurMallocThresholds);
                Theirs(py16Default, settings with { Threads = 0 }, size, set, autocast: true);
            }
            foreach (var row in rows)
            {
                var sorted = row.ImagesPerSecond.Order().ToArray();
                s.AppendLine($"| {size.Side}×{size.Side} | {row.Name} | {(row.Isa.Length > 0 ? row.Isa : string.Join(", ", row.Caps.Distinct()))} | {F(Median(row.ImagesPerSecond))} | " +
                    $"{(sorted.Length == 0 ? "n/a" : $"{F(sorted[0])}–{F(sorted[^1])}")} | {string.Join(", ", row.ImagesPerSecond.Select(F))} | {string.Join("; ", row.Notes.Distinct())} |");
            }
            // Rows of one round ran minutes apart at most, so a round's ratio is steadier under a changing load than a ratio of medians.
            string PerRound(Row over, Row under) => string.Join(", ", over.ImagesPerSecond.Zip(under.ImagesPerSecond, (a, b) => R(a / b)));
            perRound.AppendLine($"| {size.Side}×{size.Side} | {PerRound(ours16, ours32)} | {PerRound(ours16, py16)} | {PerRound(ours16Asked, py16)} | {PerRound(ours16Asked, py16Default)} | " +
                $"{PerRound(ours16, py16Heap)} | {PerRound(py16, py32)} |");
            double M(Row row) => Median(row.ImagesPerSecond);
            ratios.AppendLine($"| {size.Side}×{size.Side} | {R(M(ours16) / M(ours32))} (target ≥ 1.6) | {R(M(ours16) / M(py16))} (target ≥ 1.0) | " +
                $"{R(M(ours16Asked) / M(py16))} (target ≥ 1.0) | {R(M(ours16Asked) / M(py16Default))} | {R(M(ours16) / M(py16Heap))} | {R(M(py16) / M(py32))} | {R(M(ours32) / M(py32))} |");
        }
        s.AppendLine();
        const string Columns = "ours BFloat16 ÷ ours Float32 | ours BFloat16 ÷ PyTorch autocast | ours BFloat16 as a user asks ÷ PyTorch autocast | " +
            "ours BFloat16 as a user asks ÷ PyTorch autocast at its default threads | ours BFloat16 ÷ PyTorch autocast at our malloc settings | PyTorch autocast ÷ PyTorch FP32";
        s.AppendLine($"| size | {Columns} | ours Float32 ÷ PyTorch FP32 |");
        s.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- |");
        s.Append(ratios);
        s.AppendLine();
        s.AppendLine("The same ratios round by round:");
        s.AppendLine();
        s.AppendLine($"| size | {Columns} |");
        s.AppendLine("| --- | --- | --- | --- | --- | --- | --- |");
        s.Append(perRound);
        return s.ToString();
    }

    private static void Ours(Row row, SizeSettings size, Precision precision, string? bf16Isa, int threads, bool inMemory = false) =>
        Record(row, RunChild(precision == Precision.Float32 ? null : bf16Isa, precision != Precision.Float32 && bf16Isa is null ? ChildLift : ChildAsStarted,
            "speed", $"{size.Side}", $"{size.SourceSide}", $"{size.Images}", $"{size.Epochs}", $"{precision}", $"{threads}", inMemory ? "memory" : "png"));

    /// <summary>A fresh app that sets only <paramref name="precision"/>: the cap as the process starts, threads by default (0).</summary>
    private static void OursAsAsked(Row row, SizeSettings size, Precision precision) =>
        Record(row, RunChild(null, ChildAsStarted, "speed", $"{size.Side}", $"{size.SourceSide}", $"{size.Images}", $"{size.Epochs}", $"{precision}", "0", "png"));

    private static void Record(Row row, JsonElement? result)
    {
        if (result is null)
            return;
        row.ImagesPerSecond.Add(result.Value.GetProperty("imagesPerSecond").GetDouble());
        row.Notes.Add($"{result.Value.GetProperty("precision").GetString()}, {result.Value.GetProperty("threads").GetInt32()} threads");
        row.Caps.Add(result.Value.GetProperty("oneDnnCap").GetString() ?? "none");
    }

    private static void Theirs(Row row, BenchSettings settings, SizeSettings size, ImageSet set, bool autocast, IReadOnlyDictionary<string, string>? environment = null)
    {
        if (settings.SkipPyTorch)
            return;
        var py = PyTorchRunner.Run(settings, size, set, matmul: false, autocast, unsetIsaCaps: true, environment);
        if (py is null)
            return;
        row.ImagesPerSecond.Add(py.TrainImages / Median(py.TrainSeconds.ToList()));
        row.Notes.Add($"torch {py.Version}, kernels {py.CpuCapability}, {py.Threads} threads");
    }

    // ---- accuracy ----

    private static string Accuracy(string[] args, string? bf16Isa, int threads)
    {
        var epochs = BenchSettings.Value(args, "--epochs", 5);
        var seeds = (BenchSettings.Value(args, "--seeds") ?? "1,2,3").Split(',').Select(t => int.Parse(t, CultureInfo.InvariantCulture)).ToArray();
        var s = new StringBuilder();
        s.AppendLine($"- **Study:** Fashion-MNIST ({FashionMnist.Folder}), each pair's whole training split to train and its t10k images to test " +
            $"(accuracy and AUC from ML.NET's BinaryClassification.Evaluate on t10k); 28×28 padded to {StudySide}×{StudySide}; the CLI's network " +
            $"(conv 16, 32, 64, dense 500, 500), {epochs} epochs, batch {StudyBatch}, lr 0.001, cosine schedule, mirror on; threads {threads}; " +
            $"Float32 runs under MlNetCnn's default oneDNN cap for this machine, BFloat16 runs {(bf16Isa is null ? "call TorchRuntime.AllowBFloat16Kernels() first" : $"with {IsaVariable}={bf16Isa}")}; each run in a fresh process.");
        s.AppendLine();
        s.AppendLine("| pair | seed | Float32 accuracy | Float32 AUC | BFloat16 accuracy | BFloat16 AUC | Float32 s | BFloat16 s |");
        s.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- |");
        var summary = new StringBuilder();
        var notes = new HashSet<string>();
        foreach (var (negative, positive, name) in Pairs)
        {
            var rows = new List<(JsonElement Float32, JsonElement BFloat16)>();
            foreach (var seed in seeds)
            {
                Log($"{name}, seed {seed}; load {RunHeader.ReadLoadAverage()}");
                var common = new[] { "accuracy", $"{negative}", $"{positive}", $"{seed}", $"{epochs}", $"{threads}" };
                var full = RunChild(null, ChildAsStarted, [.. common, "Float32"]);
                var mixed = RunChild(bf16Isa, bf16Isa is null ? ChildLift : ChildAsStarted, [.. common, "BFloat16"]);
                if (full is null || mixed is null)
                    continue;
                rows.Add((full.Value, mixed.Value));
                notes.Add(mixed.Value.GetProperty("precision").GetString() ?? "");
                s.AppendLine($"| {name} | {seed} | {A(full.Value, "accuracy")} | {A(full.Value, "auc")} | {A(mixed.Value, "accuracy")} | {A(mixed.Value, "auc")} | " +
                    $"{full.Value.GetProperty("seconds").GetDouble():F1} | {mixed.Value.GetProperty("seconds").GetDouble():F1} |");
            }
            double Mean(Func<(JsonElement Float32, JsonElement BFloat16), double> f) => rows.Count == 0 ? double.NaN : rows.Average(f);
            var accuracy32 = Mean(r => r.Float32.GetProperty("accuracy").GetDouble());
            var accuracy16 = Mean(r => r.BFloat16.GetProperty("accuracy").GetDouble());
            var auc32 = Mean(r => r.Float32.GetProperty("auc").GetDouble());
            var auc16 = Mean(r => r.BFloat16.GetProperty("auc").GetDouble());
            var holds = Math.Abs(accuracy16 - accuracy32) <= 0.005 && Math.Abs(auc16 - auc32) <= 0.005;
            summary.AppendLine($"| {name} | {rows.Count} | {accuracy32:F4} | {accuracy16:F4} | {(accuracy16 - accuracy32) * 100:+0.00;-0.00} points | " +
                $"{auc32:F4} | {auc16:F4} | {auc16 - auc32:+0.0000;-0.0000} | {(holds ? "holds" : "**does not hold**")} |");
        }
        s.AppendLine();
        s.AppendLine("Means over seeds (target: BFloat16 within 0.5 points of accuracy and 0.005 of AUC):");
        s.AppendLine();
        s.AppendLine("| pair | seeds | Float32 accuracy | BFloat16 accuracy | difference | Float32 AUC | BFloat16 AUC | difference | target |");
        s.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        s.Append(summary);
        s.AppendLine();
        s.AppendLine($"BFloat16 runs logged: {string.Join(" / ", notes)}");
        return s.ToString();
    }

    // ---- child processes ----

    // How a child starts: lifting MlNetCnn's cap by hand (TorchRuntime.AllowBFloat16Kernels), or as a fresh app does.
    private const string ChildLift = "lift";
    private const string ChildAsStarted = "as-started";

    /// <summary>
    /// Runs this bench as a child with <paramref name="childArgs"/>, its last JSON line, or null. oneDNN's cap is
    /// <paramref name="isa"/>, or else what this bench was started with (not the AVX2 MlNetCnn set here), lifted by
    /// hand first when <paramref name="start"/> is <see cref="ChildLift"/>.
    /// </summary>
    private static JsonElement? RunChild(string? isa, string start, params string[] childArgs)
    {
        var info = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var entry = System.Reflection.Assembly.GetEntryAssembly()!.Location;
        // Run as `dotnet MlNetCnn.Bench.dll` unless this process is the app host (`dotnet run` starts it): the app host
        // is named after the dll without its extension (MlNetCnn.Bench), which GetFileNameWithoutExtension would cut to MlNetCnn.
        if (!Path.GetFileName(Environment.ProcessPath!).Equals(Path.GetFileNameWithoutExtension(entry), StringComparison.Ordinal))
            info.ArgumentList.Add(entry);
        info.ArgumentList.Add(ChildFlag);
        info.ArgumentList.Add(start);
        foreach (var a in childArgs)
            info.ArgumentList.Add(a);
        foreach (var name in new[] { IsaVariable, "DNNL_MAX_CPU_ISA" })
        {
            if (LaunchEnvironment.TryGetValue(name, out var launched))
                info.Environment[name] = launched;
            else
                info.Environment.Remove(name);
        }
        if (isa is not null)
        {
            info.Environment[IsaVariable] = isa;
            info.Environment.Remove("DNNL_MAX_CPU_ISA");
        }
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        var line = stdout.Split('\n').LastOrDefault(l => l.StartsWith('{'));
        if (process.ExitCode != 0 || line is null)
        {
            Log($"child {string.Join(' ', childArgs)} failed (exit {process.ExitCode}): {stderr.Result.Trim().Split('\n').LastOrDefault()}");
            return null;
        }
        return JsonDocument.Parse(line).RootElement.Clone();
    }

    // The environment this process was started with: /proc/self/environ does not see setenv, so MlNetCnn's own cap is not in it.
    private static readonly Dictionary<string, string> LaunchEnvironment = File.Exists("/proc/self/environ")
        ? File.ReadAllText("/proc/self/environ").Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Select(e => e.Split('=', 2)).Where(p => p.Length == 2).GroupBy(p => p[0]).ToDictionary(g => g.Key, g => g.First()[1])
        : [];

    private static int Child(string[] args)
    {
        if (args[1] == ChildLift)
            MlNetCnn.Native.TorchRuntime.AllowBFloat16Kernels();
        MlNetCnn.Native.TorchRuntime.EnsureLoaded();
        args = [args[0], .. args[2..]];
        var a = args.Skip(2).ToArray();
        int I(int i) => int.Parse(a[i], CultureInfo.InvariantCulture);
        object result = args[1] switch
        {
            "speed" => SpeedChild(I(0), I(1), I(2), I(3), Enum.Parse<Precision>(a[4]), I(5), inMemory: a[6] == "memory"),
            "accuracy" => AccuracyChild(I(0), I(1), I(2), I(3), I(4), Enum.Parse<Precision>(a[5])),
            _ => throw new ArgumentException($"unknown child mode {args[1]}"),
        };
        Console.WriteLine(JsonSerializer.Serialize(result));
        return 0;
    }

    /// <param name="threads">libtorch's threads, set by hand; 0 leaves them to the library, as a fresh app does.</param>
    private static object SpeedChild(int side, int sourceSide, int images, int epochs, Precision precision, int threads, bool inMemory)
    {
        if (threads > 0)
            TorchSharp.torch.set_num_threads(threads);
        using var set = ImageSet.Write(images, side, sourceSide);
        var ml = new MLContext(seed: 1);
        var log = PrecisionLog(ml);
        FitTiming timing;
        if (inMemory)
        {
            set.ExtractPixels(ml);
            PipelineRuns.FitFromMemory(set, 1, Batch, precision, take: Batch * WarmupSteps).Model.Dispose();
            var (model, t) = PipelineRuns.FitFromMemory(set, epochs, Batch, precision, context: ml);
            model.Dispose();
            timing = t;
        }
        else
        {
            PipelineRuns.FitFromPng(set, 1, Batch, take: Batch * WarmupSteps, precision: precision).Model.LastTransformer.Dispose();
            var (model, t) = PipelineRuns.FitFromPng(set, epochs, Batch, precision: precision, context: ml);
            model.LastTransformer.Dispose();
            timing = t;
        }
        return new
        {
            imagesPerSecond = (double)images * epochs / timing.Seconds, seconds = timing.Seconds, epochSeconds = timing.EpochSeconds, precision = Describe(log, precision),
            oneDnnCap = Environment.GetEnvironmentVariable(IsaVariable) ?? "none",
            threads = TorchSharp.torch.get_num_threads(),
        };
    }

    private static object AccuracyChild(int negative, int positive, int seed, int epochs, int threads, Precision precision)
    {
        TorchSharp.torch.set_num_threads(threads);
        var ml = new MLContext(seed: seed);
        var log = PrecisionLog(ml);
        var train = StudyView(ml, FashionMnist.Pair(negative, positive, test: false));
        var test = StudyView(ml, FashionMnist.Pair(negative, positive, test: true));
        var options = new CnnOptions
        {
            Network = new MlNetCnn.Network.NetworkShape([16, 32, 64], 5, 2, [500, 500]),
            Epochs = epochs, BatchSize = StudyBatch, LearningRate = 1e-3, LearningRateSchedule = LearningRateSchedule.Cosine,
            RandomHorizontalFlip = true, Seed = seed, Threads = threads, Precision = precision,
        };
        var clock = Stopwatch.StartNew();
        using var model = new CnnEstimator(ml, options).Fit(train);
        var seconds = clock.Elapsed.TotalSeconds;
        var metrics = ml.BinaryClassification.Evaluate(model.Transform(test));
        return new { accuracy = metrics.Accuracy, auc = metrics.AreaUnderRocCurve, seconds, precision = Describe(log, precision) };
    }

    /// <summary>Items of 28×28 bytes as 1×36×36 features in [0, 1], centred on black.</summary>
    private static IDataView StudyView(MLContext ml, List<(byte[] Pixels, bool Label)> items)
    {
        var margin = (StudySide - FashionMnist.Side) / 2;
        var rows = items.Select(item =>
        {
            var features = new float[StudySide * StudySide];
            for (var y = 0; y < FashionMnist.Side; y++)
            for (var x = 0; x < FashionMnist.Side; x++)
                features[(y + margin) * StudySide + x + margin] = item.Pixels[y * FashionMnist.Side + x] / 255f;
            return new FeatureRow { Features = features, Label = item.Label };
        }).ToList();
        var definition = SchemaDefinition.Create(typeof(FeatureRow));
        definition[nameof(FeatureRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 1, StudySide, StudySide);
        return ml.Data.LoadFromEnumerable(rows, definition);
    }

    private static List<string> PrecisionLog(MLContext ml)
    {
        var lines = new List<string>();
        ml.Log += (_, e) =>
        {
            if (e.RawMessage.StartsWith("Precision", StringComparison.Ordinal))
                lock (lines) lines.Add(e.RawMessage);
        };
        return lines;
    }

    /// <summary>The precision the run trained in, as its log line says ("Precision BFloat16 (mixed…", "Precision Auto: Float32, because…").</summary>
    private static string Describe(List<string> log, Precision requested)
    {
        lock (log)
        {
            if (log.Count == 0)
                return $"{requested}";
            var words = log[^1].Split(' ', ':', ',', '(').Where(w => w.Length > 0).ToArray();
            return words.Length > 2 && words[1] == "Auto" ? $"Auto → {words[2]}" : words.ElementAtOrDefault(1) ?? $"{requested}";
        }
    }

    private static void Log(string message) => Console.Error.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {message}");

    private static double Median(List<double> values) => values.Count == 0 ? double.NaN : Timing.Median(values);

    private static string F(double v) => double.IsNaN(v) ? "n/a" : v.ToString(v >= 100 ? "F0" : "F1", CultureInfo.InvariantCulture);

    private static string R(double v) => double.IsNaN(v) ? "n/a" : v.ToString("F2", CultureInfo.InvariantCulture);

    private static string A(JsonElement e, string name) => e.GetProperty(name).GetDouble().ToString("F4", CultureInfo.InvariantCulture);
}
