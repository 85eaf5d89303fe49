namespace MlNetCnn.Bench;

/// <summary>How much work one run does at one image side. Full keeps the whole run near 15 minutes on 2 cores.</summary>
internal sealed record SizeSettings(int Side, int SourceSide, int Images, int Epochs, int ScoreImages, int Repeats);

/// <summary>Everything a run is told on the command line.</summary>
internal sealed record BenchSettings(IReadOnlyList<SizeSettings> Sizes, int Threads, int BatchSize, int WarmupSteps,
    int MemoryImages, int MemoryEpochs, IReadOnlyList<int> PeakSides, int PeakRepeats, string Python, bool SkipPyTorch,
    bool Quick, bool Tiny, string? ResultsMarkdown)
{
    public const int DefaultBatchSize = 32;

    /// <summary>Matrix sides the FP32 peak is sampled at (square matmuls).</summary>
    public static readonly IReadOnlyList<int> DefaultPeakSides = [256, 512, 1024, 2048];

    public static BenchSettings Parse(string[] args)
    {
        // --tiny checks that every row runs (one small size, one repeat, no memory row); its figures mean nothing.
        var tiny = args.Contains("--tiny");
        var quick = tiny || args.Contains("--quick");
        var threads = Value(args, "--threads") is { } t ? int.Parse(t) : Environment.ProcessorCount;
        var python = Value(args, "--python") ?? (File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3");
        // Source PNGs are a quarter larger than the network's input, so ResizeImages does real work.
        var sizes = tiny
            ? new[] { new SizeSettings(64, 80, 32, 1, 32, 1) }
            : quick
                ? new[] { new SizeSettings(64, 80, 128, 1, 128, 1), new SizeSettings(244, 305, 32, 1, 32, 1) }
                : new[] { new SizeSettings(64, 80, 1024, 2, 512, 3), new SizeSettings(244, 305, 96, 1, 32, 3) };
        return new BenchSettings(sizes, threads, DefaultBatchSize, WarmupSteps: quick ? 1 : 2,
            MemoryImages: tiny ? 0 : quick ? 64 : 128, MemoryEpochs: 10, DefaultPeakSides, PeakRepeats: tiny ? 1 : quick ? 2 : 3, python,
            SkipPyTorch: args.Contains("--no-pytorch"), quick, tiny, Value(args, "--markdown"));
    }

    /// <summary>The argument after <paramref name="name"/>, or null.</summary>
    public static string? Value(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    /// <summary>The whole number after <paramref name="name"/>, or <paramref name="fallback"/>.</summary>
    public static int Value(string[] args, string name, int fallback) =>
        Value(args, name) is { } text ? int.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : fallback;
}
