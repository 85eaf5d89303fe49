using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.ML;

namespace MlNetCnn.Bench;

/// <summary>
/// <c>--contention</c>: single-row Predict latency and training throughput at 64×64, on an idle machine and then with
/// a busy loop on every core beside it (one <c>sh</c> busy loop per core, started here and killed after), in one run.
/// </summary>
internal static class ContentionBench
{
    public const string Flag = "--contention";

    public static int Run(string[] args)
    {
        var quick = args.Contains("--quick");
        var images = quick ? 128 : 512;
        var predictions = quick ? 300 : 2000;
        const int batch = BenchSettings.DefaultBatchSize;
        MlNetCnn.Native.TorchRuntime.EnsureLoaded();
        using var set = ImageSet.Write(images, 64, 80);
        var ml = new MLContext(seed: 1);
        set.ExtractPixels(ml);
        var (model, _) = PipelineRuns.FitFromMemory(set, 1, batch);
        using var libTorch = model.WithScoringEngine(ScoringEngine.LibTorch);
        PipelineRuns.FitFromMemory(set, 1, batch).Model.Dispose(); // warm-up

        var rows = new Dictionary<string, (string Idle, string Loaded)>();
        string Measure(Func<string> measure, bool loaded)
        {
            var burners = loaded ? Burn(Environment.ProcessorCount) : new List<Process>();
            try
            {
                Thread.Sleep(loaded ? 1000 : 0);
                return measure();
            }
            finally
            {
                foreach (var burner in burners)
                {
                    burner.Kill();
                    burner.WaitForExit();
                    burner.Dispose();
                }
            }
        }
        double trainIdle = 0, trainLoaded = 0;
        string Train(bool loaded) => Measure(() =>
        {
            var (m, timing) = PipelineRuns.FitFromMemory(set, 2, batch);
            m.Dispose();
            var rate = 2.0 * images / timing.EpochSeconds;
            if (loaded) trainLoaded = rate; else trainIdle = rate;
            return rate.ToString("F0", CultureInfo.InvariantCulture);
        }, loaded);
        foreach (var loaded in new[] { false, true })
        {
            var onnx = Measure(() => ScoringBench.Latency(ml, model, set, predictions), loaded);
            var torch = Measure(() => ScoringBench.Latency(ml, libTorch, set, predictions), loaded);
            var train = Train(loaded);
            rows["onnx"] = loaded ? (rows["onnx"].Idle, onnx) : (onnx, "");
            rows["torch"] = loaded ? (rows["torch"].Idle, torch) : (torch, "");
            rows["train"] = loaded ? (rows["train"].Idle, train) : (train, "");
            Console.Error.WriteLine($"{(loaded ? "loaded" : "idle")}: ONNX Runtime {onnx}, LibTorch {torch}, training {train} images/s");
        }
        model.Dispose();

        var header = RunHeader.Read(args);
        var report = new StringBuilder();
        report.AppendLine($"Contention: {Environment.ProcessorCount} cores; 64×64×3, NetworkShape.Default; " +
            $"default threads (ONNX Runtime: one per physical core, no spinning; libtorch: all cores, OMP_WAIT_POLICY={Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") ?? "unset"}); loaded = one busy `sh` loop per core beside the process.");
        report.AppendLine();
        report.AppendLine("| row | idle | loaded | target when loaded |");
        report.AppendLine("| --- | ---: | ---: | --- |");
        report.AppendLine($"| Predict p50 / p99, ONNX Runtime ({predictions} rows) | {rows["onnx"].Idle} | {rows["onnx"].Loaded} | p50 ≤ 10 ms, p99 ≤ 50 ms |");
        report.AppendLine($"| Predict p50 / p99, LibTorch | {rows["torch"].Idle} | {rows["torch"].Loaded} | (the same) |");
        report.AppendLine($"| training, images/s ({images} images × 2 epochs, in memory) | {rows["train"].Idle} | {rows["train"].Loaded} | ≥ 0.5 × idle: {trainLoaded / trainIdle:F2} × |");
        var text = header.ToMarkdown(RunHeader.ReadLoadAverage()) + Environment.NewLine + report;
        Console.WriteLine(text);
        if (BenchSettings.Value(args, "--markdown") is { } path)
            File.WriteAllText(path, text);
        return 0;
    }

    private static List<Process> Burn(int count) =>
        Enumerable.Range(0, count).Select(_ => Process.Start(new ProcessStartInfo("sh", "-c \"while :; do :; done\"") { UseShellExecute = false })!).ToList();
}
