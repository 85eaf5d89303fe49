using System.Globalization;
using System.Text;
using Microsoft.ML;

namespace MlNetCnn.Bench;

/// <summary>
/// <c>--dispose-memory</c>: resident memory of one loaded model per engine, and what its Dispose gives back. The
/// question's network at 244×244 (fc1 alone is 93,312×500 weights, 187 MB), so the engine's native memory stands out.
/// </summary>
internal static class DisposeMemoryBench
{
    public const string Flag = "--dispose-memory";

    public static int Run(string[] args)
    {
        MlNetCnn.Native.TorchRuntime.EnsureLoaded();
        var header = RunHeader.Read(args);
        const int side = 244, images = 32;
        using var set = ImageSet.Write(images, side, 305);
        var ml = new MLContext(seed: 1);
        set.ExtractPixels(ml);
        var (trained, _) = PipelineRuns.FitFromMemory(set, 1, 16);
        var path = Path.Combine(set.Folder, "model.zip");
        var features = ml.Data.Cache(set.FeatureView(ml));
        ml.Model.Save(trained, features.Schema, path);
        trained.Dispose();

        var report = new StringBuilder();
        report.AppendLine($"Memory of one loaded model (NetworkShape.Default on 3×{side}×{side}; the zip is {new FileInfo(path).Length / 1048576.0:F0} MB), VmRSS after a full collection, MiB:");
        report.AppendLine();
        report.AppendLine("| engine | loaded, not scored | after scoring 32 images | after Dispose | scoring again | after Dispose again |");
        report.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (var engine in new[] { ScoringEngine.OnnxRuntime, ScoringEngine.LibTorch })
        {
            var before = Rss();
            var loaded = (CnnTransformer)new MLContext().Model.Load(path, out _);
            var cnn = loaded.WithScoringEngine(engine);
            loaded.Dispose();
            var load = Rss();
            PipelineRuns.Consume(cnn.Transform(features));
            var scored = Rss();
            cnn.Dispose();
            var disposed = Rss();
            PipelineRuns.Consume(cnn.Transform(features));
            var again = Rss();
            cnn.Dispose();
            var last = Rss();
            report.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {engine} | {load:F0} | {scored:F0} ({scored - load:+0;-0}) | {disposed:F0} ({disposed - scored:+0;-0}) | {again:F0} ({again - disposed:+0;-0}) | {last:F0} ({last - again:+0;-0}) |"));
            Console.Error.WriteLine($"{engine}: start {before:F0}, loaded {load:F0}, scored {scored:F0}, disposed {disposed:F0}, again {again:F0}, disposed {last:F0} MiB");
        }
        var text = header.ToMarkdown(RunHeader.ReadLoadAverage()) + Environment.NewLine + report;
        Console.WriteLine(text);
        if (BenchSettings.Value(args, "--markdown") is { } output)
            File.WriteAllText(output, text);
        return 0;
    }

    private static double Rss()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
    }
}
