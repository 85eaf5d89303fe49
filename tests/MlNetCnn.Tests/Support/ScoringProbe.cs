using System.Diagnostics;
using System.Globalization;

namespace MlNetCnn.Tests.Support;

/// <summary>Runs tests/MlNetCnn.ScoringProbe: a fresh process that loads a model.zip and scores image files.</summary>
public static class ScoringProbe
{
    /// <summary>The scores the probe printed, one per image, and the native libraries (torch, onnxruntime) it mapped.</summary>
    public static (float[] Scores, string[] Native) Run(string model, IEnumerable<string> images)
    {
        var lines = RunProbe(model, images, new Dictionary<string, string>());
        var native = lines[^1].StartsWith("native:", StringComparison.Ordinal) ? lines[^1]["native:".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries) : throw new InvalidOperationException(string.Join("\n", lines));
        return (lines[..^1].Select(l => float.Parse(l, CultureInfo.InvariantCulture)).ToArray(), native);
    }

    /// <summary>
    /// Scores <paramref name="features"/> (C×H×W values per image) twice in a fresh process whose environment adds
    /// <paramref name="environment"/>; the two passes' scores and the precision the model says it scored in, with why.
    /// </summary>
    public static (float[] First, float[] Second, string Precision, string Reason) RunOnFeatures(string model, float[] features, IReadOnlyDictionary<string, string> environment)
    {
        var line = LinesOnFeatures(model, features, environment);
        float[] Scores(string key) => line(key).Split(' ').Select(s => float.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        return (Scores("first"), Scores("second"), line("precision"), line("reason"));
    }

    /// <summary>The intra-op threads a fresh process, whose environment adds <paramref name="environment"/>, scored <paramref name="features"/> with.</summary>
    public static int ActiveThreadsOnFeatures(string model, float[] features, IReadOnlyDictionary<string, string> environment) =>
        int.Parse(LinesOnFeatures(model, features, environment)("threads"), CultureInfo.InvariantCulture);

    // Runs the probe's --features mode; what it printed, by key.
    private static Func<string, string> LinesOnFeatures(string model, float[] features, IReadOnlyDictionary<string, string> environment)
    {
        var file = Path.Combine(Path.GetDirectoryName(model)!, "features.bin");
        var bytes = new byte[features.Length * sizeof(float)];
        Buffer.BlockCopy(features, 0, bytes, 0, bytes.Length);
        File.WriteAllBytes(file, bytes);
        var lines = RunProbe(model, new[] { "--features", file }, environment);
        return key => lines.SingleOrDefault(l => l.StartsWith(key + ": ", StringComparison.Ordinal))?[(key.Length + 2)..]
            ?? throw new InvalidOperationException($"The probe printed no '{key}' line:\n{string.Join("\n", lines)}");
    }

    private static string[] RunProbe(string model, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "MlNetCnn.ScoringProbe.dll"));
        start.ArgumentList.Add(model);
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        foreach (var (name, value) in environment)
            start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var lines = process.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(process.WaitForExit(120_000), "the probe did not finish in two minutes");
        Assert.True(process.ExitCode == 0, $"the probe failed ({process.ExitCode}): {stderr.Result}");
        return lines;
    }
}
