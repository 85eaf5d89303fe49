using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MlNetCnn.Bench;

/// <summary>What bench/pytorch_bench.py prints.</summary>
internal sealed record PyTorchResult(
    [property: JsonPropertyName("torch")] string Version,
    [property: JsonPropertyName("threads")] int Threads,
    [property: JsonPropertyName("train_seconds")] IReadOnlyList<double> TrainSeconds,
    [property: JsonPropertyName("train_images")] int TrainImages,
    [property: JsonPropertyName("train_images_per_second")] double TrainImagesPerSecond,
    [property: JsonPropertyName("score_images_per_second")] double ScoreImagesPerSecond,
    [property: JsonPropertyName("matmul_gflops")] double? MatmulGflops,
    [property: JsonPropertyName("matmul_side")] int? MatmulSide,
    [property: JsonPropertyName("cpu_capability")] string? CpuCapability,
    [property: JsonPropertyName("blas_info")] string? BlasInfo,
    [property: JsonPropertyName("blas_library")] string? BlasLibrary)
{
    /// <summary>The BLAS PyTorch runs on, as its build names it and as the loaded library file shows it.</summary>
    public string Blas => $"{BlasInfo ?? "BLAS_INFO unknown"}{(BlasLibrary is null ? "" : $", {BlasLibrary}")}";
}

/// <summary>Row (c) and the PyTorch scoring row of (d): the same network and tensors in PyTorch, as a subprocess.</summary>
internal static class PyTorchRunner
{
    // The variables MlNetCnn sets in its own process (Native/TorchRuntime), which a child would otherwise inherit.
    private static readonly string[] SetByMlNetCnn = ["ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA", "OMP_WAIT_POLICY"];

    public static string Script => Path.Combine(AppContext.BaseDirectory, "pytorch_bench.py");

    /// <summary>Null, with the reason on stderr, when PyTorch cannot run here.</summary>
    /// <param name="autocast">Train and score under <c>torch.autocast('cpu', dtype=torch.bfloat16)</c> (the script's --autocast).</param>
    /// <param name="unsetIsaCaps">Start PyTorch without the oneDNN caps this process has (ONEDNN_MAX_CPU_ISA, DNNL_MAX_CPU_ISA), at its own default.</param>
    /// <param name="environment">Variables to set for PyTorch's process.</param>
    /// <param name="asItStarts">
    /// PyTorch as a user starts it: no <c>torch.set_num_threads</c> (its own thread count), and the variables MlNetCnn
    /// sets in this process (the oneDNN cap, OMP_WAIT_POLICY) as the bench was launched with them, not as MlNetCnn set them.
    /// </param>
    public static PyTorchResult? Run(BenchSettings settings, SizeSettings size, ImageSet set, bool matmul, bool autocast = false, bool unsetIsaCaps = false,
        IReadOnlyDictionary<string, string>? environment = null, bool asItStarts = false)
    {
        var (images, labels) = set.WriteRaw();
        var start = new ProcessStartInfo(settings.Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (unsetIsaCaps)
        {
            start.Environment.Remove("ONEDNN_MAX_CPU_ISA");
            start.Environment.Remove("DNNL_MAX_CPU_ISA");
        }
        if (asItStarts)
        {
            foreach (var name in SetByMlNetCnn)
            {
                if (RunHeader.LaunchEnvironment.TryGetValue(name, out var launched))
                    start.Environment[name] = launched;
                else
                    start.Environment.Remove(name);
            }
        }
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            start.Environment[name] = value;
        foreach (var a in new[]
                 {
                     Script, "--images", images, "--labels", labels, "--count", $"{set.Count}", "--channels", $"{ImageSet.Channels}",
                     "--side", $"{set.Side}", "--epochs", $"{size.Epochs}", "--batch", $"{settings.BatchSize}",
                     "--lr", $"{CnnOptions.DefaultLearningRate}", "--repeats", $"{size.Repeats}",
                     "--warmup-steps", $"{settings.WarmupSteps}", "--score-count", $"{size.ScoreImages}",
                     "--matmul", matmul ? string.Join(",", settings.PeakSides) : "", "--matmul-repeats", $"{settings.PeakRepeats}",
                 })
            start.ArgumentList.Add(a);
        if (!asItStarts)
        {
            start.ArgumentList.Add("--threads");
            start.ArgumentList.Add($"{settings.Threads}");
        }
        if (autocast)
            start.ArgumentList.Add("--autocast");
        try
        {
            using var process = Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                Console.Error.WriteLine($"PyTorch run failed ({settings.Python} exited {process.ExitCode}): {stderr.Result.Trim()}");
                Console.Error.WriteLine("Install Debian's PyTorch with `apt-get install -y python3-torch`, or pass --python PATH.");
                return null;
            }
            return JsonSerializer.Deserialize<PyTorchResult>(stdout.Split('\n').Last(l => l.StartsWith('{')));
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Console.Error.WriteLine($"Cannot start {settings.Python}: {e.Message}. Install python3-torch or pass --python PATH.");
            return null;
        }
    }
}
