using System.Globalization;
using System.Text;

namespace MlNetCnn.Bench;

/// <summary>The table the issue asks for, as Markdown (readable on a console too).</summary>
internal static class Report
{
    // Forward-pass cost per image as issue 5 states it, used for "% of peak".
    private static readonly Dictionary<int, double> ForwardGflopPerImage = new() { [64] = 0.186, [244] = 4.23 };

    public static string Build(BenchSettings settings, IReadOnlyList<SizeResult> results, double torchSharpPeak, double? pyTorchPeak, string? pyTorchVersion, MemoryReport? memory)
    {
        var s = new StringBuilder();
        string F(double? v) => v is { } x ? x.ToString(x >= 100 ? "F0" : "F1", CultureInfo.InvariantCulture) : "n/a";
        string R(double? v) => v is { } x && !double.IsNaN(x) ? x.ToString("F2", CultureInfo.InvariantCulture) : "n/a";

        s.AppendLine($"Threads: {settings.Threads} (torch.set_num_threads in TorchSharp and PyTorch); batch {settings.BatchSize}; Adam lr {CnnOptions.DefaultLearningRate}; BCEWithLogits; network NetworkShape.Default; 3-channel images.");
        s.AppendLine($"PyTorch: {pyTorchVersion ?? "not run"}. Medians of the repeats shown per size; every figure is images per second unless marked.");
        s.AppendLine();
        s.Append("| row | what is timed |");
        foreach (var r in results)
            s.Append($" {r.Size.Side}×{r.Size.Side} |");
        s.AppendLine();
        s.Append("| --- | --- |");
        foreach (var _ in results)
            s.Append(" ---: |");
        s.AppendLine();

        void Row(string name, string what, Func<SizeResult, string> cell)
        {
            s.Append($"| {name} | {what} |");
            foreach (var r in results)
                s.Append($" {cell(r)} |");
            s.AppendLine();
        }

        Row("work", "training images × epochs; images scored; repeats", r => $"{r.Size.Images}×{r.Size.Epochs}; {r.Size.ScoreImages}; {r.Size.Repeats}");
        Row("(a) plain TorchSharp train", "CnnNetwork + Adam over a tensor in memory", r => F(r.PlainTrain));
        Row("(b) pipeline Fit", "LoadImages→Resize→ExtractPixels→CnnEstimator from PNG (images streamed; learnability check off)", r => F(r.PipelineFit));
        Row("learnability check", "seconds it adds to one Fit (default on; a fixed cost, not per image)", r => $"{r.CheckSeconds:F2} s");
        Row("(b') CnnEstimator Fit, in memory", "CnnEstimator over extracted float vectors", r => F(r.MemoryFit));
        Row("(c) PyTorch train", "same network, batch, Adam, threads", r => F(r.PyTorchTrain));
        Row("image stages alone", "decode+resize+extract, cursor to the end", r => F(r.ImageStages));
        Row("(d) plain forward", "TorchSharp eval + no_grad, batch 32", r => F(r.PlainForward));
        Row("(d) Transform, in memory", "CnnTransformer.Transform over float vectors, consumed", r => F(r.TransformMemory));
        Row("(d) Transform, from PNG", "whole fitted pipeline's Transform, consumed", r => F(r.TransformPng));
        Row("(d) PyTorch eval", "eval + no_grad, batch 32", r => F(r.PyTorchScore));
        Row("**pipeline / plain**", "target ≥ 0.95", r => R(r.PipelineFit / r.PlainTrain));
        Row("**pipeline / PyTorch**", "target ≥ 1.0", r => R(r.PipelineFit / r.PyTorchTrain));
        Row("**Transform / plain forward**", "in memory; target ≥ 0.9", r => R(r.TransformMemory / r.PlainForward));
        Row("Transform from PNG / plain forward", "includes decoding", r => R(r.TransformPng / r.PlainForward));
        Row("**Transform / PyTorch**", "in memory; target ≥ 1.2", r => R(r.TransformMemory / r.PyTorchScore));
        Row("plain TorchSharp / PyTorch", "training", r => R(r.PlainTrain / r.PyTorchTrain));
        Row("scoring % of FP32 peak", "Transform in memory × GFLOP/image ÷ peak; target ≥ 40 % at 244", r =>
            ForwardGflopPerImage.TryGetValue(r.Size.Side, out var g) ? $"{r.TransformMemory * g / torchSharpPeak * 100:F1} %" : "n/a");
        Row("plain forward % of peak", "same, plain forward", r =>
            ForwardGflopPerImage.TryGetValue(r.Size.Side, out var g) ? $"{r.PlainForward * g / torchSharpPeak * 100:F1} %" : "n/a");
        s.AppendLine();
        s.AppendLine($"FP32 matmul peak ({settings.MatmulSide}×{settings.MatmulSide}): TorchSharp {torchSharpPeak:F1} GFLOP/s; PyTorch {(pyTorchPeak is { } p ? $"{p:F1}" : "n/a")} GFLOP/s.");
        s.AppendLine();
        s.AppendLine("Where the pipeline Fit's time goes (median run; seconds):");
        s.AppendLine();
        s.AppendLine("| size | Fit total | epochs (trainer's records) | outside epochs (first pass: labels and input checks) | in-memory Fit total | its outside-epochs part | plain loop |");
        s.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var r in results)
            s.AppendLine($"| {r.Size.Side}×{r.Size.Side} | {r.PipelineSplit.Seconds:F2} | {r.PipelineSplit.EpochSeconds:F2} | {r.PipelineSplit.ReadSeconds:F2} ({r.PipelineSplit.ReadSeconds / r.PipelineSplit.Seconds:P0}) | {r.MemorySplit.Seconds:F2} | {r.MemorySplit.ReadSeconds:F2} | {r.PlainTrainSeconds:F2} |");
        s.AppendLine();
        s.AppendLine("One plain TorchSharp training step of 32 images by phase (seconds, mean of the warm-up-sized sample):");
        s.AppendLine();
        s.AppendLine("| size | gather batch | forward + loss | backward | Adam step | total |");
        s.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (var r in results)
        {
            var phases = r.PlainPhases;
            s.AppendLine($"| {r.Size.Side}×{r.Size.Side} | {phases.Gather:F3} | {phases.Forward:F3} ({phases.Forward / phases.Total:P0}) | {phases.Backward:F3} ({phases.Backward / phases.Total:P0}) | {phases.Optimizer:F3} | {phases.Total:F3} |");
        }
        if (memory is not null)
        {
            s.AppendLine();
            s.AppendLine($"Memory: pipeline Fit at {memory.Side}×{memory.Side}, {memory.Images} images, {memory.RssMiBPerEpoch.Length} epochs, fresh process. VmRSS (MiB) after each epoch:");
            s.AppendLine();
            s.AppendLine(string.Join(" · ", memory.RssMiBPerEpoch.Select((m, i) => $"{i + 1}: {m:F0}")));
            s.AppendLine();
            s.AppendLine($"Growth from epoch 2 to epoch {memory.RssMiBPerEpoch.Length}: {memory.GrowthAfterEpoch2Percent:F1} % (target < 5 %). Peak VmHWM: {memory.PeakMiB:F0} MiB.");
        }
        return s.ToString();
    }
}
