namespace MlNetCnn.Bench;

/// <summary>How much work one run does at one image side. Full keeps the whole run near 15 minutes on 2 cores.</summary>
internal sealed record SizeSettings(int Side, int SourceSide, int Images, int Epochs, int ScoreImages, int Repeats);

/// <summary>Everything a run is told on the command line.</summary>
internal sealed record BenchSettings(IReadOnlyList<SizeSettings> Sizes, int Threads, int BatchSize, int WarmupSteps,
    int MemoryImages, int MemoryEpochs, int MatmulSide, string Python, bool SkipPyTorch, bool Quick, string? ResultsMarkdown)
{
    public const int DefaultBatchSize = 32;
    public const int DefaultMatmulSide = 2048;

    public static BenchSettings Parse(string[] args)
    {
        var quick = args.Contains("--quick");
        var threads = Value(args, "--threads") is { } t ? int.Parse(t) : Environment.ProcessorCount;
        var python = Value(args, "--python") ?? (File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3");
        // Source PNGs are a quarter larger than the network's input, so ResizeImages does real work.
        var sizes = quick
            ? new[] { new SizeSettings(64, 80, 128, 1, 128, 1), new SizeSettings(244, 305, 32, 1, 32, 1) }
            : new[] { new SizeSettings(64, 80, 1024, 2, 512, 3), new SizeSettings(244, 305, 96, 1, 32, 3) };
        return new BenchSettings(sizes, threads, DefaultBatchSize, WarmupSteps: quick ? 1 : 2,
            MemoryImages: quick ? 64 : 128, MemoryEpochs: 10, DefaultMatmulSide, python,
            SkipPyTorch: args.Contains("--no-pytorch"), quick, Value(args, "--markdown"));
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
