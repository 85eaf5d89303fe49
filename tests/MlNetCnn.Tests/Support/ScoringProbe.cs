using System.Diagnostics;
using System.Globalization;

namespace MlNetCnn.Tests.Support;

/// <summary>Runs tests/MlNetCnn.ScoringProbe: a fresh process that loads a model.zip and scores image files.</summary>
public static class ScoringProbe
{
    /// <summary>The variable that makes oneDNN log every primitive it creates and runs, on standard output.</summary>
    public const string OneDnnVerbose = "ONEDNN_VERBOSE";

    /// <summary>What a probe run on features printed.</summary>
    /// <param name="Lines">Its lines, oneDNN's verbose ones left out.</param>
    /// <param name="OneDnn">oneDNN's verbose lines (with <see cref="OneDnnVerbose"/> set in the environment).</param>
    public sealed record FeatureRun(IReadOnlyList<string> Lines, OneDnnLog OneDnn)
    {
        private const string Refused = "refused: ";

        /// <summary>The first pass's scores, as the model is.</summary>
        public float[] First => Scores("first");

        /// <summary>The second pass's scores.</summary>
        public float[] Second => Scores("second");

        /// <summary>The scores with the scoring precision set to Float32.</summary>
        public float[] Float32 => Scores("float32");

        /// <summary>The precision the model said it scored the two passes in.</summary>
        public string Precision => Line("precision");

        /// <summary>Why, as the model says.</summary>
        public string Reason => Line("reason");

        /// <summary>The intra-op threads the model scored with.</summary>
        public int Threads => int.Parse(Line("threads"), CultureInfo.InvariantCulture);

        /// <summary>What TorchRuntime.AllowBFloat16Kernels returned; null when it was not called.</summary>
        public bool? Allowed => Line("allowed") is var a && a == "-" ? null : bool.Parse(a);

        /// <summary>Why LibTorch refused to score <paramref name="key"/> (first, second, float32), or null when it scored.</summary>
        public string? Refusal(string key) => Line(key) is var line && line.StartsWith(Refused, StringComparison.Ordinal) ? line[Refused.Length..] : null;

        private float[] Scores(string key) => Refusal(key) is { } refusal
            ? throw new InvalidOperationException($"The probe's '{key}' scoring was refused: {refusal}")
            : Line(key).Split(' ').Select(s => float.Parse(s, CultureInfo.InvariantCulture)).ToArray();

        private string Line(string key) => Lines.SingleOrDefault(l => l.StartsWith(key + ": ", StringComparison.Ordinal))?[(key.Length + 2)..]
            ?? throw new InvalidOperationException($"The probe printed no '{key}' line:\n{string.Join("\n", Lines)}");
    }

    /// <summary>The scores the probe printed, one per image, and the native libraries (torch, onnxruntime) it mapped.</summary>
    public static (float[] Scores, string[] Native) Run(string model, IEnumerable<string> images)
    {
        var lines = RunProbe(model, images, new Dictionary<string, string?>());
        var native = lines[^1].StartsWith("native:", StringComparison.Ordinal) ? lines[^1]["native:".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries) : throw new InvalidOperationException(string.Join("\n", lines));
        return (lines[..^1].Select(l => float.Parse(l, CultureInfo.InvariantCulture)).ToArray(), native);
    }

    /// <summary>
    /// Scores <paramref name="features"/> (C×H×W values per image) in a fresh process whose environment adds
    /// <paramref name="environment"/> (a null value removes the variable): twice as the model is, once with its scoring precision set to Float32.
    /// <paramref name="arguments"/> go to the probe after the features (<c>--allow-bfloat16-kernels</c>, <c>--fault LAYER:KIND</c>).
    /// </summary>
    public static FeatureRun RunOnFeatures(string model, float[] features, IReadOnlyDictionary<string, string?> environment, params string[] arguments)
    {
        var file = Path.Combine(Path.GetDirectoryName(model)!, "features.bin");
        var bytes = new byte[features.Length * sizeof(float)];
        Buffer.BlockCopy(features, 0, bytes, 0, bytes.Length);
        File.WriteAllBytes(file, bytes);
        var lines = RunProbe(model, new[] { "--features", file }.Concat(arguments), environment);
        return new FeatureRun(lines.Where(l => !OneDnnLog.IsVerbose(l)).ToArray(), new OneDnnLog(lines));
    }

    /// <summary>The intra-op threads a fresh process, whose environment adds <paramref name="environment"/>, scored <paramref name="features"/> with.</summary>
    public static int ActiveThreadsOnFeatures(string model, float[] features, IReadOnlyDictionary<string, string?> environment) =>
        RunOnFeatures(model, features, environment).Threads;

    private static string[] RunProbe(string model, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?> environment)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "MlNetCnn.ScoringProbe.dll"));
        start.ArgumentList.Add(model);
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        foreach (var (name, value) in environment)
        {
            if (value is null)
                start.Environment.Remove(name);
            else
                start.Environment[name] = value;
        }
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var lines = process.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(process.WaitForExit(120_000), "the probe did not finish in two minutes");
        Assert.True(process.ExitCode == 0, $"the probe failed ({process.ExitCode}): {stderr.Result}");
        return lines;
    }
}
