using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace MlNetCnn.Bench;

/// <summary>
/// <c>--scoring</c>: the scoring engines side by side at 64×64 and 244×244, in one process (issue 11's table).
/// (a) ONNX Runtime on the exported file over feature batches in memory; (b) <c>Transform</c> with the ONNX Runtime
/// engine over the same features; (c) the same with the LibTorch engine; (d) the whole pipeline from PNG files;
/// (e) <c>PredictionEngine.Predict</c> latency, one row at a time.
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
        var header = RunHeader.Read(args);
        var report = new StringBuilder();
        report.AppendLine($"Scoring engines: {threads} threads everywhere (ONNX Runtime intra-op, no spinning; libtorch set_num_threads); batch {batch}; NetworkShape.Default; 3-channel images; medians of {(quick ? "1" : "3–5")} repeats.");
        report.AppendLine();
        report.AppendLine("| row | what is timed | 64×64 | 244×244 |");
        report.AppendLine("| --- | --- | ---: | ---: |");
        var cells = new Dictionary<string, List<string>>();
        void Cell(string row, string value) => (cells.TryGetValue(row, out var list) ? list : cells[row] = new List<string>()).Add(value);

        foreach (var (side, source, images, repeats, predictions) in sizes)
        {
            using var set = ImageSet.Write(images, side, source);
            var ml = new MLContext(seed: 1);
            set.ExtractPixels(ml);
            Console.Error.WriteLine($"{side}×{side}: {set.Count} images; training a model to score with");
            var (pipeline, _) = PipelineRuns.FitFromPng(set, 1, batch, take: 4 * batch);
            var model = pipeline.WithScoringEngine(ScoringEngine.OnnxRuntime, threads);
            var cnn = model.FindCnn();
            using var libTorch = cnn.WithScoringEngine(ScoringEngine.LibTorch, threads);
            var onnxPath = Path.Combine(set.Folder, "model.onnx");
            cnn.ExportOnnx(onnxPath);

            // (a) ONNX Runtime alone, on the file, over the feature batches.
            using var options = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL };
            options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
            using var session = new InferenceSession(onnxPath, options);
            double RawOnnx()
            {
                var seconds = Timing.Seconds(() =>
                {
                    for (var start = 0; start < set.Count; start += batch)
                    {
                        var n = Math.Min(batch, set.Count - start);
                        var memory = new Memory<float>(set.Pixels, start * set.ImageSize, n * set.ImageSize);
                        using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, memory, new long[] { n, ImageSet.Channels, side, side });
                        using var output = session.Run(new RunOptions(), new[] { "Features" }, new[] { input }, new[] { "Score" });
                    }
                });
                return set.Count / seconds;
            }
            RawOnnx();
            var raw = Median(repeats, RawOnnx);

            var features = ml.Data.Cache(set.FeatureView(ml));
            PipelineRuns.Consume(cnn.Transform(features));
            var transform = Median(repeats, () => set.Count / Timing.Seconds(() => PipelineRuns.Consume(cnn.Transform(features))));
            PipelineRuns.Consume(libTorch.Transform(features));
            var torch = Median(repeats, () => set.Count / Timing.Seconds(() => PipelineRuns.Consume(libTorch.Transform(features))));
            var rows = set.RowsView(ml);
            var png = Median(repeats, () => set.Count / Timing.Seconds(() => PipelineRuns.Consume(model.Transform(rows))));
            var decode = Median(repeats, () => set.Count / set.ReadFeatures(ml, null));

            Cell("a", F(raw)); Cell("b", F(transform)); Cell("c", F(torch)); Cell("d", F(png)); Cell("stages", F(decode));
            Cell("b/a", R(transform / raw)); Cell("b/c", R(transform / torch)); Cell("d/a", R(png / raw));
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
            Console.Error.WriteLine($"{side}: a {raw:F0}, b {transform:F0}, c {torch:F0}, d {png:F0} images/s");
            (model as IDisposable)?.Dispose();
            pipeline.Dispose();
        }

        void Row(string key, string name, string what) => report.AppendLine($"| {name} | {what} | {string.Join(" | ", cells[key])} |");
        Row("a", "(a) ONNX Runtime on the exported file", "InferenceSession.Run over feature batches in memory, images/s");
        Row("b", "(b) Transform, ONNX Runtime engine", "CnnTransformer.Transform over the same features (cached view), consumed, images/s");
        Row("c", "(c) Transform, LibTorch engine", "the same, WithScoringEngine(LibTorch), images/s");
        Row("d", "(d) whole pipeline from PNG", "LoadImages→Resize→ExtractPixels→CNN (ONNX Runtime), images/s");
        Row("stages", "image stages alone", "decode + resize + extract, cursor to the end, images/s");
        Row("b/a", "**(b) / (a)**", "target ≥ 0.9");
        Row("b/c", "**(b) / (c)**", "target ≥ 2.5");
        Row("d/a", "**(d) / (a)**", "target ≥ 0.6 at 64×64");
        Row("dsplit", "where (d)'s time goes", "per image: image stages + network, sequential");
        Row("e-onnx", "(e) Predict latency, ONNX Runtime", "PredictionEngine.Predict on one row, p50 / p99");
        Row("e-torch", "(e) Predict latency, LibTorch", "the same, p50 / p99");
        var text = header.ToMarkdown(RunHeader.ReadLoadAverage()) + Environment.NewLine + report;
        Console.WriteLine(text);
        if (BenchSettings.Value(args, "--markdown") is { } path)
            File.WriteAllText(path, text);
        return 0;
    }

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
