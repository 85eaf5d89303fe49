using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using MlNetCnn.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetCnn.Bench;

/// <summary>
/// Issue 6: provokes TorchSharp 0.107's temporary-Scalar race on demand and checks that MlNetCnn's training does not hit it.
/// Each scenario runs in a child process with full JIT optimisation from the first call (no tiering, so the JIT may
/// treat a temporary Scalar as dead once its handle is read) while a second thread forces a collection and runs the
/// finalizers in a loop. A Scalar freed by its finalizer while libtorch still reads it shows up as "Unknown scalar
/// type", a wrong result or a native crash.
/// Usage: <c>dotnet run -c Release --project bench/MlNetCnn.Bench -- --scalar-race [--seconds N] [--rounds N] [--scenario NAME]</c>.
/// </summary>
internal static class ScalarRaceProbe
{
    public const string Flag = "--scalar-race";
    private const string ChildFlag = "--scalar-race-child";

    // name → what it runs
    private static readonly (string Name, string What)[] Scenarios =
    [
        ("torchsharp-add", "Tensor.add_(1) in a loop: TorchSharp turns 1 into a temporary Scalar"),
        ("torchsharp-train", "training steps with TorchSharp's BatchNorm2d (batch counter on) and torch.optim.Adam"),
        ("mlnetcnn-fit", "CnnEstimator.Fit, Transform and PredictionEngine in a loop: MlNetCnn as users run it"),
    ];

    public static int Run(string[] args)
    {
        if (args[0] == ChildFlag)
            return Child(args[1], BenchSettings.Value(args, "--seconds", 60));
        var seconds = BenchSettings.Value(args, "--seconds", 60);
        var rounds = BenchSettings.Value(args, "--rounds", 1);
        var only = BenchSettings.Value(args, "--scenario");
        Console.WriteLine($"Scalar race probe: each scenario {rounds} × {seconds} s in a child process, DOTNET_TieredCompilation=0, a thread forcing GCs.");
        foreach (var (name, what) in Scenarios.Where(s => only is null || s.Name == only))
        {
            var failures = 0;
            for (var round = 1; round <= rounds; round++)
            {
                var (exitCode, lastLines) = RunChild(name, seconds);
                if (exitCode != 0)
                    failures++;
                Console.WriteLine($"{name} round {round}: exit {exitCode}: {lastLines}");
            }
            Console.WriteLine($"{name} ({what}): {failures} of {rounds} rounds failed");
        }
        return 0;
    }

    private static (int ExitCode, string LastLines) RunChild(string scenario, int seconds)
    {
        var self = Environment.ProcessPath!;
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
            start.ArgumentList.Add(typeof(ScalarRaceProbe).Assembly.Location);
        foreach (var a in new[] { ChildFlag, scenario, "--seconds", seconds.ToString(CultureInfo.InvariantCulture) })
            start.ArgumentList.Add(a);
        start.Environment["DOTNET_TieredCompilation"] = "0";
        start.Environment["DOTNET_DbgEnableMiniDump"] = "0";
        var clock = Stopwatch.StartNew();
        using var child = Process.Start(start)!;
        var stderr = child.StandardError.ReadToEndAsync();
        var stdout = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        var lines = (stdout + stderr.Result).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        // the child's own summary, or the first line of what killed it
        var said = lines.FirstOrDefault(l => l.StartsWith("ok:", StringComparison.Ordinal))
            ?? lines.FirstOrDefault(l => l.Contains("exception", StringComparison.OrdinalIgnoreCase) || l.Contains("error", StringComparison.OrdinalIgnoreCase))
            ?? (lines.Length > 0 ? lines[^1] : "(no output)");
        return (child.ExitCode, $"after {clock.Elapsed.TotalSeconds:F0} s: {said}");
    }

    private static int Child(string scenario, int seconds)
    {
        TorchRuntime.EnsureLoaded();
        torch.set_num_threads(1);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        var collections = 0L;
        var hammer = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                collections++;
            }
        }) { IsBackground = true };
        hammer.Start();
        long iterations = scenario switch
        {
            "torchsharp-add" => AddLoop(stop.Token),
            "torchsharp-train" => TorchSharpTraining(stop.Token),
            "mlnetcnn-fit" => MlNetCnnFits(stop.Token),
            _ => throw new ArgumentException($"unknown scenario '{scenario}'"),
        };
        hammer.Join();
        Console.WriteLine($"ok: {iterations:N0} iterations, {collections:N0} forced collections");
        return 0;
    }

    private static long AddLoop(CancellationToken stop)
    {
        using var t = zeros(16);
        long n = 0;
        while (!stop.IsCancellationRequested)
        {
            for (var k = 0; k < 1000; k++)
                t.add_(1);
            n += 1000;
        }
        var expected = (float)n;
        var actual = t[0].item<float>();
        // float sums of 1 are exact only up to 2^24; beyond that, compare loosely
        if (n < (1 << 24) ? actual != expected : Math.Abs(actual - expected) > expected * 1e-3)
            throw new InvalidOperationException($"sum of {n} ones is {actual}");
        return n;
    }

    private static long TorchSharpTraining(CancellationToken stop)
    {
        using var network = nn.Sequential(
            nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 1));
        using var optimizer = optim.Adam(network.parameters(), lr: 1e-3);
        using var x = randn(8, 1, 8, 8);
        using var y = rand(8, 1).round();
        network.train();
        long n = 0;
        while (!stop.IsCancellationRequested)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            nn.functional.binary_cross_entropy_with_logits(network.forward(x), y).backward();
            optimizer.step();
            n++;
        }
        return n;
    }

    private static long MlNetCnnFits(CancellationToken stop)
    {
        var random = new Random(1);
        var rows = Enumerable.Range(0, 64).Select(i => new Row
        {
            Label = i % 2 == 0,
            Features = Enumerable.Range(0, 36 * 36).Select(_ => (float)random.NextDouble() * (i % 2 == 0 ? 1f : 0.5f)).ToArray(),
        }).ToArray();
        var checkpoints = Directory.CreateTempSubdirectory("mlnetcnn-race-");
        // defaults, then every option that changes the training step: weight decay, class weights, augmentation,
        // schedules, validation with early stopping and threshold selection, checkpoints, streaming
        Func<CnnOptions>[] variants =
        [
            () => new CnnOptions(),
            () => new CnnOptions { WeightDecay = 1e-4, BalanceClasses = true, RandomHorizontalFlip = true, RandomShiftPixels = 2 },
            () => new CnnOptions { PositiveClassWeight = 2, LearningRateSchedule = LearningRateSchedule.Cosine, CacheImages = true },
            () => new CnnOptions { ValidationFraction = 0.25, EarlyStoppingPatience = 1, ThresholdSelection = ThresholdSelection.MaxF1, LearningRateSchedule = LearningRateSchedule.ReduceOnPlateau },
            () => new CnnOptions { CheckpointFolder = Path.Combine(checkpoints.FullName, "run"), LearningRateSchedule = LearningRateSchedule.Step, StepEpochs = 1 },
        ];
        long fits = 0;
        while (!stop.IsCancellationRequested)
        {
            var ml = new MLContext(seed: 1);
            var data = ml.Data.LoadFromEnumerable(rows, SchemaDefinition.Geometry(36));
            var options = variants[fits % variants.Length]();
            (options.Epochs, options.BatchSize, options.Seed) = (2, 8, 1);
            if (options.CheckpointFolder is { } folder && Directory.Exists(folder))
                Directory.Delete(folder, recursive: true);
            using var model = new CnnEstimator(ml, options).Fit(data);
            PipelineRuns.Consume(model.Transform(data));
            using var engine = ml.Model.CreatePredictionEngine<Row, Scored>(model, new PredictionEngineOptions { OwnsTransformer = false, InputSchemaDefinition = SchemaDefinition.Geometry(36) });
            foreach (var row in rows)
                engine.Predict(row);
            fits++;
        }
        checkpoints.Delete(recursive: true);
        return fits;
    }


    private sealed class Row
    {
        public bool Label { get; set; }
        public float[] Features { get; set; } = [];
    }

    private sealed class Scored
    {
        public float Probability { get; set; }
    }

    private static class SchemaDefinition
    {
        public static Microsoft.ML.Data.SchemaDefinition Geometry(int side)
        {
            var schema = Microsoft.ML.Data.SchemaDefinition.Create(typeof(Row));
            schema[nameof(Row.Features)].ColumnType = new Microsoft.ML.Data.VectorDataViewType(Microsoft.ML.Data.NumberDataViewType.Single, 1, side, side);
            return schema;
        }
    }
}
