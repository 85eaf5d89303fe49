using TorchSharp;
using static TorchSharp.torch;

namespace MlNetCnn.Bench;

/// <summary>
/// The FP32 peak the "% of peak" rows divide by: the best matrix-multiply throughput libtorch reaches on this machine,
/// over several sizes and repetitions, sampled more than once in a run so that the rows it divides are measured under
/// the same conditions. A single sample of a single size (what earlier runs used) can land on a slow moment.
/// </summary>
internal sealed class PeakProbe
{
    // Each sample runs long enough for the clock to be exact.
    private const double SampleSeconds = 0.05;

    private readonly int[] sides;
    private readonly int repeats;
    private readonly List<(int Side, double Gflops)> samples = new();

    public PeakProbe(IReadOnlyList<int> sides, int repeats) => (this.sides, this.repeats) = (sides.ToArray(), repeats);

    /// <summary>The best GFLOP/s sampled so far.</summary>
    public double Best => samples.Count == 0 ? double.NaN : samples.Max(s => s.Gflops);

    /// <summary>The side of the matrices that gave <see cref="Best"/>.</summary>
    public int BestSide => samples.MaxBy(s => s.Gflops).Side;

    /// <summary>How many samples were taken.</summary>
    public int Count => samples.Count;

    /// <summary>The lowest and highest sample, for the spread.</summary>
    public (double Low, double High) Range => (samples.Min(s => s.Gflops), samples.Max(s => s.Gflops));

    /// <summary>Samples every size <c>repeats</c> times; returns the best of this round.</summary>
    public double Sample()
    {
        var round = 0.0;
        foreach (var side in sides)
        {
            using var a = randn(side, side);
            using var b = randn(side, side);
            matmul(a, b).Dispose(); // warm-up
            var once = Timing.Seconds(() => matmul(a, b).Dispose());
            var calls = Math.Max(1, (int)Math.Ceiling(SampleSeconds / Math.Max(once, 1e-6)));
            for (var r = 0; r < repeats; r++)
            {
                var seconds = Timing.Seconds(() => { for (var c = 0; c < calls; c++) matmul(a, b).Dispose(); });
                var gflops = 2.0 * side * side * side * calls / seconds / 1e9;
                samples.Add((side, gflops));
                round = Math.Max(round, gflops);
            }
        }
        return round;
    }
}
