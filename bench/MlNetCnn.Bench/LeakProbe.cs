using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetCnn.Native;
using TorchSharp;

namespace MlNetCnn.Bench;

/// <summary>
/// Issue 6, item 6: 20 pipeline Fits, then 10,000 PredictionEngine predictions, in this one process; resident memory
/// (VmRSS) after each Fit and every 1,000 predictions, with every transformer and engine disposed when done.
/// Usage: <c>dotnet run -c Release --project bench/MlNetCnn.Bench -- --leaks [--threads N] [--predictions N]</c>.
/// </summary>
internal static class LeakProbe
{
    public const string Flag = "--leaks";
    private const int Fits = 20;
    private const int DefaultPredictions = 10_000;
    private const int PredictionsPerEngine = 1_000;
    private const int Images = 128;
    private const int Side = 36;
    private const int Epochs = 1;

    public static int Run(string[] args)
    {
        var threads = BenchSettings.Value(args, "--threads", 1);
        var predictions = BenchSettings.Value(args, "--predictions", DefaultPredictions);
        TorchRuntime.EnsureLoaded();
        torch.set_num_threads(threads);
        var clock = Stopwatch.StartNew();
        using var set = ImageSet.Write(Images, Side, Side * 5 / 4);
        Console.WriteLine($"Leak probe: {Fits} Fits (PNG → CnnEstimator, {Images} images {Side}×{Side}×3, {Epochs} epoch, batch {BenchSettings.DefaultBatchSize}), " +
            $"then {predictions} PredictionEngine predictions (a new engine every {PredictionsPerEngine}); {threads} thread(s). VmRSS in MiB after a full GC.");
        Console.WriteLine($"start (images written, libtorch loaded): {Rss():F0}");

        var afterFit = new List<double>();
        TransformerChain<CnnTransformer>? model = null;
        for (var i = 1; i <= Fits; i++)
        {
            model?.LastTransformer.Dispose();
            (model, _) = PipelineRuns.FitFromPng(set, Epochs, BenchSettings.DefaultBatchSize);
            afterFit.Add(Rss());
            Console.WriteLine($"after Fit {i,2}: {afterFit[^1]:F0}  ({clock.Elapsed.TotalSeconds:F0} s)");
        }

        var ml = new MLContext(seed: 1);
        var afterPredictions = new List<double>();
        var sum = 0.0;
        for (var done = 0; done < predictions;)
        {
            using (var engine = ml.Model.CreatePredictionEngine<ImageInput, Scored>(model!, new PredictionEngineOptions { OwnsTransformer = false }))
            {
                for (var k = 0; k < PredictionsPerEngine; k++, done++)
                    sum += engine.Predict(set.Rows[done % set.Count]).Probability;
            }
            afterPredictions.Add(Rss());
            Console.WriteLine($"after {done,6} predictions: {afterPredictions[^1]:F0}  ({clock.Elapsed.TotalSeconds:F0} s)");
        }
        model!.LastTransformer.Dispose();
        Console.WriteLine($"after disposing the last model: {Rss():F0}; peak VmHWM {MemoryProbe.StatusMiB("VmHWM"):F0}; mean probability {sum / predictions:F4}");
        Console.WriteLine($"Fits 2–{Fits}: {afterFit.Skip(1).Min():F0}–{afterFit.Skip(1).Max():F0} MiB (Fit 2 → {Fits}: {afterFit[^1] - afterFit[1]:+0;-0} MiB); " +
            $"predictions: {afterPredictions.Min():F0}–{afterPredictions.Max():F0} MiB ({PredictionsPerEngine:N0} → {predictions:N0}: {afterPredictions[^1] - afterPredictions[0]:+0;-0} MiB); " +
            $"{clock.Elapsed.TotalSeconds:F0} s in all.");
        return 0;
    }


    private static double Rss()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return MemoryProbe.StatusMiB("VmRSS");
    }

    private sealed class Scored
    {
        public float Probability { get; set; }
    }
}
