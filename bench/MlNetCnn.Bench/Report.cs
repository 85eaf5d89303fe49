using System.Globalization;
using System.Text;
using MlNetCnn.Network;

namespace MlNetCnn.Bench;

/// <summary>The table the issue asks for, as Markdown (readable on a console too), and what makes the run invalid.</summary>
internal static class Report
{
    // A share of the measured peak above this is not a result: the peak or the row was mismeasured.
    private const double MaxPercentOfPeak = 100;

    /// <summary>Forward FLOPs of one image at <paramref name="side"/>, from the network itself (DescribeNetwork).</summary>
    public static double ForwardGflop(int side) => NetworkShape.Default.ForwardFlops(new ImageGeometry(ImageSet.Channels, side, side)) / 1e9;

    public static (string Markdown, IReadOnlyList<string> Errors) Build(BenchSettings settings, RunHeader header, string loadAtEnd,
        IReadOnlyList<SizeResult> results, PeakProbe peak, PyTorchResult? pyTorch, PyTorchResult? pyTorchAsStarted, int libTorchDefault, MemoryReport? memory)
    {
        var s = new StringBuilder();
        var errors = new List<string>();
        string F(double? v) => v is { } x ? x.ToString(x >= 100 ? "F0" : "F1", CultureInfo.InvariantCulture) : "n/a";
        string R(double? v) => v is { } x && !double.IsNaN(x) ? x.ToString("F2", CultureInfo.InvariantCulture) : "n/a";
        string Percent(SizeResult r, string row, double imagesPerSecond)
        {
            var percent = imagesPerSecond * ForwardGflop(r.Size.Side) / peak.Best * 100;
            if (percent > MaxPercentOfPeak)
                errors.Add($"measurement error: {row} at {r.Size.Side}×{r.Size.Side} is {percent:F1} % of the measured FP32 peak ({peak.Best:F1} GFLOP/s); " +
                    $"above {MaxPercentOfPeak} % the peak or the row was mismeasured (another process's load, frequency changes). Rerun on an idle machine.");
            return $"{percent:F1} %{(percent > MaxPercentOfPeak ? " (**error**)" : "")}";
        }

        s.Append(header.ToMarkdown(loadAtEnd));
        s.AppendLine($"- **Settings:** tuned rows: threads {settings.Threads} (torch.set_num_threads in TorchSharp and PyTorch); defaults rows: each side as it starts " +
            $"(MlNetCnn with CnnOptions' defaults and libtorch's own {libTorchDefault} thread(s); PyTorch without set_num_threads, " +
            $"{(pyTorchAsStarted is null ? "not run" : $"{pyTorchAsStarted.Threads} thread(s)")}, and without the oneDNN cap and OMP_WAIT_POLICY MlNetCnn sets in its own process); " +
            $"every timing on both sides a warm-up, then the median of the repeats inside one process; batch {settings.BatchSize}; Adam lr {CnnOptions.DefaultLearningRate}; " +
            $"BCEWithLogits; network NetworkShape.Default; {ImageSet.Channels}-channel images{(settings.Tiny ? "; **--tiny: a check that every row runs, not a measurement**" : "")}");
        s.AppendLine($"- **PyTorch:** {(pyTorch is null ? "not run" : $"{pyTorch.Version} ({pyTorch.Threads} threads), kernels for {pyTorch.CpuCapability ?? "unknown"}, BLAS: {pyTorch.Blas}")}");
        s.AppendLine($"- **FP32 peak** (TorchSharp `torch.matmul`, square sides {string.Join(", ", settings.PeakSides)}, {settings.PeakRepeats} repeat(s) each, " +
            $"sampled at the start and after each size's rows): best {peak.Best:F1} GFLOP/s at {peak.BestSide}², {peak.Count} samples from {peak.Range.Low:F1} to {peak.Range.High:F1}");
        s.AppendLine();
        s.AppendLine("Medians of the repeats shown per size; every figure is images per second unless marked.");
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
        Row("forward GFLOP per image", "NetworkShape.ForwardFlops at this geometry (multiply-add = 2)", r => ForwardGflop(r.Size.Side).ToString("F4", CultureInfo.InvariantCulture));
        Row("(a) plain TorchSharp train", "CnnNetwork + Adam over a tensor in memory", r => F(r.PlainTrain));
        Row("(b) pipeline Fit, check off", "LoadImages→Resize→ExtractPixels→CnnEstimator from PNG (images streamed; learnability check off)", r => F(r.PipelineFit));
        Row("(b) pipeline Fit, defaults", "the same with CnnOptions' defaults (the learnability check on) and libtorch's own thread count", r => F(r.PipelineFitDefaults));
        Row("learnability check", "seconds it adds to one Fit (default on; a fixed cost, not per image)", r => $"{r.CheckSeconds:F2} s");
        Row("(b') CnnEstimator Fit, in memory", "CnnEstimator over extracted float vectors (check off; run once)", r => F(r.MemoryFit));
        Row("(c) PyTorch train", $"same network, batch, Adam, threads{(pyTorch is null ? "" : $"; BLAS: {pyTorch.BlasInfo ?? "unknown"}")}", r => F(r.PyTorchTrain));
        Row("(c) PyTorch train, as it starts", "the same script without torch.set_num_threads, in the environment the bench was launched with", r => F(r.PyTorchTrainAsStarted));
        Row("(c) PyTorch's FP32 matmul peak", pyTorch is null ? "not run" : $"best `torch.matmul` in PyTorch, same sides ({pyTorch.MatmulSide}² best), GFLOP/s: its BLAS, not its convolutions",
            _ => F(pyTorch?.MatmulGflops));
        Row("image stages alone", "decode+resize+extract, cursor to the end", r => F(r.ImageStages));
        Row("(d) plain forward", "TorchSharp eval + no_grad, batch 32", r => F(r.PlainForward));
        Row("(d) Transform, in memory", "CnnTransformer.Transform over float vectors, consumed (ONNX Runtime, ScoringThreads = the threads above)", r => F(r.TransformMemory));
        Row("(d) Transform, from PNG", "whole fitted pipeline's Transform, consumed (the same engine)", r => F(r.TransformPng));
        Row("(d) PyTorch eval", "eval + no_grad, batch 32", r => F(r.PyTorchScore));
        Row("(d) Transform, defaults", "the defaults Fit's model as Fit returned it (ONNX Runtime, ScoringThreads unset), in memory", r => F(r.TransformMemoryDefaults));
        Row("(d) Transform from PNG, defaults", "the same model's whole pipeline", r => F(r.TransformPngDefaults));
        Row("(d) PyTorch eval, as it starts", "eval + no_grad, batch 32, PyTorch's own thread count", r => F(r.PyTorchScoreAsStarted));
        Row("**pipeline / plain**", "check off; target ≥ 0.95", r => R(r.PipelineFit / r.PlainTrain));
        Row("pipeline with defaults / plain", "check on", r => R(r.PipelineFitDefaults / r.PlainTrain));
        Row("**pipeline / PyTorch, both tuned**", "check off, both at the threads above; target ≥ 1.0", r => R(r.PipelineFit / r.PyTorchTrain));
        Row("**pipeline / PyTorch, both at defaults**", "MlNetCnn's defaults against PyTorch as it starts", r => R(r.PipelineFitDefaults / r.PyTorchTrainAsStarted));
        Row("**Transform / plain forward**", "in memory; target ≥ 0.9", r => R(r.TransformMemory / r.PlainForward));
        Row("Transform from PNG / plain forward", "includes decoding", r => R(r.TransformPng / r.PlainForward));
        Row("**Transform / PyTorch, both tuned**", "in memory; target ≥ 1.2", r => R(r.TransformMemory / r.PyTorchScore));
        Row("**Transform / PyTorch, both at defaults**", "in memory; MlNetCnn's model as Fit returned it against PyTorch as it starts", r => R(r.TransformMemoryDefaults / r.PyTorchScoreAsStarted));
        Row("plain TorchSharp / PyTorch", "training", r => R(r.PlainTrain / r.PyTorchTrain));
        Row("scoring % of FP32 peak", "Transform in memory × GFLOP/image ÷ the peak above; target ≥ 40 % at 244; above 100 % fails the run",
            r => Percent(r, "scoring (Transform in memory)", r.TransformMemory));
        Row("plain forward % of peak", "same, plain forward", r => Percent(r, "the plain forward", r.PlainForward));
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
        else
        {
            s.AppendLine();
            s.AppendLine("Memory: not measured in this run.");
        }
        if (errors.Count > 0)
        {
            s.AppendLine();
            s.AppendLine("**This run is not valid:**");
            s.AppendLine();
            foreach (var e in errors)
                s.AppendLine($"- {e}");
        }
        return (s.ToString(), errors);
    }
}
