using System.Diagnostics;
using System.Globalization;

namespace MlNetCnn.Tests.Support;

/// <summary>Runs tests/MlNetCnn.ScoringProbe: a fresh process that loads a model.zip and scores image files.</summary>
public static class ScoringProbe
{
    /// <summary>The scores the probe printed, one per image, and the native libraries (torch, onnxruntime) it mapped.</summary>
    public static (float[] Scores, string[] Native) Run(string model, IEnumerable<string> images)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "MlNetCnn.ScoringProbe.dll"));
        start.ArgumentList.Add(model);
        foreach (var image in images)
            start.ArgumentList.Add(image);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var lines = process.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(process.WaitForExit(120_000), "the probe did not finish in two minutes");
        Assert.True(process.ExitCode == 0, $"the probe failed ({process.ExitCode}): {stderr.Result}");
        var native = lines[^1].StartsWith("native:", StringComparison.Ordinal) ? lines[^1]["native:".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries) : throw new InvalidOperationException(string.Join("\n", lines));
        return (lines[..^1].Select(l => float.Parse(l, CultureInfo.InvariantCulture)).ToArray(), native);
    }
}
