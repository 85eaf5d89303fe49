using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace MlNetCnn.Bench;

/// <summary>
/// <c>--scoring</c>: the scoring engines side by side at 64×64 and 244×244, in one process (issue 11's table), in two
/// groups. <b>Defaults</b>, each side as a user starts it: the model as <c>Fit</c> returns it with CnnOptions' defaults
/// (learnability check on, ScoringThreads unset, no bfloat16 lift), libtorch at its own thread count, and ONNX Runtime
/// as a plain <c>new InferenceSession(path)</c> with default SessionOptions. <b>Tuned</b>: N threads everywhere, raw
/// ONNX Runtime with MlNetCnn's own session settings. Rows: (a) ONNX Runtime on the exported file over feature batches
/// in memory; (b) <c>Transform</c> with the ONNX Runtime engine over the same features; (c) the same with the LibTorch
/// engine; (d) the whole pipeline from PNG files; (e) <c>PredictionEngine.Predict</c> latency, one row at a time.
/// Every timing is taken the same way: in this process, a warm-up call, then the median of the repeats.
/// </summary>
internal static class ScoringBench
{
    public const string Flag = "--scoring";

    public static int Run(string[] args)
    {
        var quick = args.Contains("--quick");
        var threads = BenchSettings.Value(args, "--threads", Environment.ProcessorCount);
        const int batch = BenchSettings.DefaultBatchSize;
        var sizes = quick ? new[] { (64, 80, 256, 1, 200), (244, 305, 32, 1, 0) } : new[] { (64, 80, 1024, 5, 2000), (244, 305, 96, 3, 200) };
        MlNetCnn.Native.TorchRuntime.EnsureLoaded();
        // libtorch's own thread count, before this process sets any: what a process that never sets it scores with.
        var libTorchDefault = TorchSharp.torch.get_num_threads();
        var header = RunHeader.Read(args);
        var report = new StringBuilder();
        report.AppendLine($"Scoring engines, batch {batch}, NetworkShape.Default, 3-channel images; every row timed the same way, in this one process: a warm-up call, " +
            $"then the median of {(quick ? "1" : "3–5")} repeats.");
        report.AppendLine();
        report.AppendLine($"- **Defaults** (both sides as they start): MlNetCnn's model as Fit returns it with CnnOptions' defaults (learnability check on, " +
            $"ScoringThreads unset, no bfloat16 lift), libtorch at its own thread count ({libTorchDefault} here); ONNX Runtime {OrtVersion()} as `new InferenceSession(path)` " +
            "with default SessionOptions.");
        report.AppendLine($"- **Tuned**: {threads} threads everywhere (WithScoringEngine(engine, {threads}); libtorch set_num_threads); raw ONNX Runtime with MlNetCnn's own " +
            $"session settings (IntraOpNumThreads {threads}, InterOpNumThreads 1, sequential, no spinning).");
        report.AppendLine();
        report.AppendLine("| row | what is timed | 64×64 | 244×244 |");
        report.AppendLine("| --- | --- | ---: | ---: |");
        var cells = new Dictionary<string, List<string>>();
        void Cell(string row, string value) => (cells.TryGetValue(row, out var list) ? list : cells[row] = new List<string>()).Add(value);

        foreach (var (side, source, images, repeats, predictions) in sizes)
        {
            Cell("load", RunHeader.ReadLoadAverage());
            using var set = ImageSet.Write(images, side, source);
            var ml = new MLContext(seed: 1);
            set.ExtractPixels(ml);
            Console.Error.WriteLine($"{side}×{side}: {set.Count} images; training a model to score with (CnnOptions' defaults); load {RunHeader.ReadLoadAverage()}");
            // As a user fits it: the learnability check on, nothing about scoring set.
            TorchSharp.torch.set_num_threads(libTorchDefault);
            var (pipeline, _) = PipelineRuns.FitFromPng(set, 1, batch, take: 4 * batch, checkLearnable: true);
            var asFitted = pipeline.LastTransformer;
            var onnxPath = Path.Combine(set.Folder, "model.onnx");
            asFitted.ExportOnnx(onnxPath);
            var features = ml.Data.Cache(set.FeatureView(ml));
            var rows = set.RowsView(ml);
            double Network(ITransformer scorer)
            {
                PipelineRuns.Consume(scorer.Transform(features));
                return Median(repeats, () => set.Count / Timing.Seconds(() => PipelineRuns.Consume(scorer.Transform(features))));
            }
            double Pipeline(ITransformer scorer)
            {
                PipelineRuns.Consume(scorer.Transform(rows));
                return Median(repeats, () => set.Count / Timing.Seconds(() => PipelineRuns.Consume(scorer.Transform(rows))));
            }

            // Defaults: first, while libtorch still has its own thread count.
            double rawDefault;
            using (var plain = new InferenceSession(onnxPath))
                rawDefault = RawOnnx(plain, set, batch, repeats);
            var transformDefault = Network(asFitted);
            double torchDefault;
            using (var libTorchAsStarted = asFitted.WithScoringEngine(ScoringEngine.LibTorch))
                torchDefault = Network(libTorchAsStarted);
            var pngDefault = Pipeline(pipeline);
            Cell("a0", F(rawDefault)); Cell("b0", F(transformDefault)); Cell("c0", F(torchDefault)); Cell("d0", F(pngDefault));
            Cell("b0/a0", R(transformDefault / rawDefault)); Cell("b0/c0", R(transformDefault / torchDefault)); Cell("d0/a0", R(pngDefault / rawDefault));
            Cell("e0-onnx", predictions > 0 ? Latency(ml, asFitted, set, predictions) : "not measured");

            // Tuned: N threads on every side.
            var model = pipeline.WithScoringEngine(ScoringEngine.OnnxRuntime, threads);
            var cnn = model.FindCnn();
            using var libTorch = cnn.WithScoringEngine(ScoringEngine.LibTorch, threads);
            using var options = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL };
            options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
            double raw;
            using (var session = new InferenceSession(onnxPath, options))
                raw = RawOnnx(session, set, batch, repeats);
            var transform = Network(cnn);
            var torch = Network(libTorch);
            var png = Pipeline(model);
            var decode = Median(repeats, () => set.Count / set.ReadFeatures(ml, null));

            Cell("a", F(raw)); Cell("b", F(transform)); Cell("c", F(torch)); Cell("d", F(png)); Cell("stages", F(decode));
            Cell("b/a", R(transform / raw)); Cell("b/c", R(transform / torch)); Cell("d/a", R(png / raw));
            Cell("b0/a", R(transformDefault / raw));
            Cell("dsplit", $"{1 / png * 1000:F2} ms = {1 / decode * 1000:F2} decode+resize+extract + {1 / transform * 1000:F2} network");
            if (predictions > 0)
            {
                Cell("e-onnx", Latency(ml, cnn, set, predictions));
                Cell("e-torch", Latency(ml, libTorch, set, predictions));
            }
            else
            {
                Cell("e-onnx", "not measured"); Cell("e-torch", "not measured");
            }
            Console.Error.WriteLine($"{side}: defaults a {rawDefault:F0}, b {transformDefault:F0}, c {torchDefault:F0}, d {pngDefault:F0}; " +
                $"tuned a {raw:F0}, b {transform:F0}, c {torch:F0}, d {png:F0} images/s");
            (model as IDisposable)?.Dispose();
            pipeline.Dispose();
        }

        void Row(string key, string name, string what) => report.AppendLine($"| {name} | {what} | {string.Join(" | ", cells[key])} |");
        Row("load", "load average at the start of the size", "/proc/loadavg: 1, 5, 15 min (running/total tasks)");
        Row("a0", "(a) ONNX Runtime, defaults", "a plain InferenceSession (default SessionOptions) on the exported file, Run over feature batches in memory, images/s");
        Row("b0", "(b) Transform, defaults", "CnnTransformer.Transform as Fit returned it (ONNX Runtime engine, ScoringThreads unset) over the same features (cached view), consumed, images/s");
        Row("c0", "(c) Transform, LibTorch engine, defaults", $"the same, WithScoringEngine(LibTorch), threads unset (libtorch's own: {libTorchDefault}), images/s");
        Row("d0", "(d) whole pipeline from PNG, defaults", "LoadImages→Resize→ExtractPixels→CNN as Fit returned it, images/s");
        Row("b0/a0", "**(b) / (a), both at defaults**", "what a user gets from MlNetCnn against what a user gets from ONNX Runtime; target ≥ 0.9");
        Row("b0/c0", "(b) / (c), both at defaults", "ONNX Runtime engine against LibTorch engine");
        Row("d0/a0", "(d) / (a), both at defaults", "the whole pipeline against ONNX Runtime alone");
        Row("e0-onnx", "(e) Predict latency, defaults", "PredictionEngine.Predict on one row, model as Fit returned it, p50 / p99");
        Row("a", "(a) ONNX Runtime, tuned", "the same session with MlNetCnn's own settings, images/s");
        Row("b", "(b) Transform, ONNX Runtime engine, tuned", "WithScoringEngine(OnnxRuntime, N), images/s");
        Row("c", "(c) Transform, LibTorch engine, tuned", "WithScoringEngine(LibTorch, N), images/s");
        Row("d", "(d) whole pipeline from PNG, tuned", "LoadImages→Resize→ExtractPixels→CNN (ONNX Runtime, N threads), images/s");
        Row("stages", "image stages alone", "decode + resize + extract, cursor to the end, images/s");
        Row("b/a", "**(b) / (a), both tuned**", "target ≥ 0.9");
        Row("b/c", "**(b) / (c), both tuned**", "target ≥ 2.5");
        Row("d/a", "**(d) / (a), both tuned**", "target ≥ 0.6 at 64×64");
        Row("b0/a", "(b) at defaults / (a) tuned", "MlNetCnn as it starts against the best raw ONNX Runtime row");
        Row("dsplit", "where (d)'s time goes, tuned", "per image: image stages + network, sequential");
        Row("e-onnx", "(e) Predict latency, ONNX Runtime, tuned", "PredictionEngine.Predict on one row, p50 / p99");
        Row("e-torch", "(e) Predict latency, LibTorch, tuned", "the same, p50 / p99");
        var text = header.ToMarkdown(RunHeader.ReadLoadAverage()) + Environment.NewLine + report;
        Console.WriteLine(text);
        if (BenchSettings.Value(args, "--markdown") is { } path)
            File.WriteAllText(path, text);
        return 0;
    }

    /// <summary>Images per second of <paramref name="session"/> over the feature batches: a warm-up pass, then the median of the repeats.</summary>
    private static double RawOnnx(InferenceSession session, ImageSet set, int batch, int repeats)
    {
        double Pass()
        {
            var seconds = Timing.Seconds(() =>
            {
                for (var start = 0; start < set.Count; start += batch)
                {
                    var n = Math.Min(batch, set.Count - start);
                    var memory = new Memory<float>(set.Pixels, start * set.ImageSize, n * set.ImageSize);
                    using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, memory, new long[] { n, ImageSet.Channels, set.Side, set.Side });
                    using var output = session.Run(new RunOptions(), new[] { "Features" }, new[] { input }, new[] { "Score" });
                }
            });
            return set.Count / seconds;
        }
        Pass();
        return Median(repeats, Pass);
    }

    /// <summary>The ONNX Runtime native library's version.</summary>
    private static string OrtVersion() => OrtEnv.Instance().GetVersionString();

    internal static string Latency(MLContext ml, CnnTransformer cnn, ImageSet set, int count)
    {
        var definition = SchemaDefinition.Create(typeof(FeatureRow));
        definition[nameof(FeatureRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, ImageSet.Channels, set.Side, set.Side);
        using var engine = ml.Model.CreatePredictionEngine<FeatureRow, ScoreRow>(cnn, new PredictionEngineOptions { OwnsTransformer = false, InputSchemaDefinition = definition });
        var rows = Enumerable.Range(0, set.Count).Select(i => new FeatureRow { Features = set.Pixels.AsSpan(i * set.ImageSize, set.ImageSize).ToArray() }).ToArray();
        for (var i = 0; i < 20; i++)
            engine.Predict(rows[i % rows.Length]);
        var times = new double[count];
        var clock = new Stopwatch();
        for (var i = 0; i < count; i++)
        {
            clock.Restart();
            engine.Predict(rows[i % rows.Length]);
            times[i] = clock.Elapsed.TotalMilliseconds;
        }
        Array.Sort(times);
        return string.Create(CultureInfo.InvariantCulture, $"{times[count / 2]:F2} / {times[(int)(count * 0.99)]:F2} ms");
    }

    private static double Median(int repeats, Func<double> measure) =>
        Timing.Median(Enumerable.Range(0, repeats).Select(_ => measure()).ToList());

    private static string F(double v) => v.ToString(v >= 100 ? "F0" : "F1", CultureInfo.InvariantCulture);

    private static string R(double v) => v.ToString("F2", CultureInfo.InvariantCulture);

    private sealed class FeatureRow
    {
        public float[] Features { get; set; } = Array.Empty<float>();
    }

    private sealed class ScoreRow
    {
        public float Score { get; set; }
    }
}
