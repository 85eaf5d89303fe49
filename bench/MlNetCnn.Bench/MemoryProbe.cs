using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using MlNetCnn.Diagnostics;
using MlNetCnn.Native;

namespace MlNetCnn.Bench;

/// <summary>Resident memory at the end of each epoch of a pipeline Fit, measured in a fresh child process.</summary>
internal sealed record MemoryReport(int Side, int Images, double[] RssMiBPerEpoch, double PeakMiB)
{
    /// <summary>Growth from the end of epoch 2 to the end of the last epoch, in percent.</summary>
    public double GrowthAfterEpoch2Percent => RssMiBPerEpoch.Length < 2 ? double.NaN : (RssMiBPerEpoch[^1] / RssMiBPerEpoch[1] - 1) * 100;
}

internal static class MemoryProbe
{
    public const string ChildFlag = "--memory-child";

    /// <summary>Runs this program again as <c>--memory-child side images epochs threads</c> and reads its report.</summary>
    public static MemoryReport Run(int side, int images, int epochs, int threads)
    {
        var self = Environment.ProcessPath ?? "dotnet";
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
            start.ArgumentList.Add(Assembly.GetExecutingAssembly().Location);
        foreach (var a in new[] { ChildFlag, $"{side}", $"{images}", $"{epochs}", $"{threads}" })
            start.ArgumentList.Add(a);
        using var child = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {self}.");
        var output = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        if (child.ExitCode != 0)
            throw new InvalidOperationException($"The memory probe exited with {child.ExitCode}: {output}");
        var json = output.Split('\n').Last(l => l.StartsWith('{'));
        return JsonSerializer.Deserialize<MemoryReport>(json) ?? throw new InvalidDataException(json);
    }

    /// <summary>The child's work: one pipeline Fit over fresh PNGs, VmRSS read after every epoch.</summary>
    public static int Child(string[] args)
    {
        var (side, images, epochs, threads) = (int.Parse(args[1]), int.Parse(args[2]), int.Parse(args[3]), int.Parse(args[4]));
        TorchRuntime.EnsureLoaded();
        TorchSharp.torch.set_num_threads(threads);
        using var set = ImageSet.Write(images, side, side * 5 / 4);
        var rss = new List<double>();
        var (model, _) = PipelineRuns.FitFromPng(set, epochs, BenchSettings.DefaultBatchSize, progress: new EpochEnd(() => rss.Add(StatusMiB("VmRSS"))));
        model.LastTransformer.Dispose();
        Console.WriteLine(JsonSerializer.Serialize(new MemoryReport(side, images, rss.ToArray(), StatusMiB("VmHWM"))));
        return 0;
    }

    /// <summary>A field of /proc/self/status, in MiB.</summary>
    public static double StatusMiB(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0]) / 1024.0;
        }
        return double.NaN;
    }

    // Progress<T> would post to the thread pool; this reports on the training thread, at the epoch's end.
    private sealed class EpochEnd(Action atEpochEnd) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value)
        {
            if (value.Completed is not null)
                atEpochEnd();
        }
    }
}
