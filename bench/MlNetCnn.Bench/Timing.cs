using System.Diagnostics;

namespace MlNetCnn.Bench;

/// <summary>Wall-clock seconds of repeated runs; the median is what the table shows.</summary>
internal static class Timing
{
    public static double Seconds(Action run)
    {
        var clock = Stopwatch.StartNew();
        run();
        return clock.Elapsed.TotalSeconds;
    }

    public static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToArray();
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /// <summary>Runs <paramref name="run"/> <paramref name="repeats"/> times and returns each run's seconds.</summary>
    public static List<double> Repeat(int repeats, Action run) =>
        Enumerable.Range(0, repeats).Select(_ => Seconds(run)).ToList();
}
