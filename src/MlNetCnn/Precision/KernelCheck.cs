using MlNetCnn.Training;
using MlNetCnn.Native;
using MlNetCnn.Network;
using System.Collections.Concurrent;
using static TorchSharp.torch;

namespace MlNetCnn.Precisions;

/// <summary>
/// Asks the machine's kernels whether they compute a network's layers right in the types they run in: each convolution
/// and dense layer of the shape, on a random input of two images of the layer's size, forward and backward, against
/// float64 (which libtorch computes without oneDNN).
/// </summary>
/// <remarks>
/// Measured on a 2-vCPU Zen 5 VM with oneDNN allowed its bfloat16 kernels: convolutions whose input or output channels
/// are not a multiple of 16 came out wrong (outputs or input gradients 10–40 % off, or NaN), at every batch size and
/// image size tried, while multiples of 16 were within bfloat16's rounding (under 1 %). A right layer and a wrong one
/// are far apart, so one probe per layer shape tells them apart. The answer depends on the kernels alone, so it is
/// kept for the life of the process.
/// </remarks>
internal static class KernelCheck
{
    /// <summary>Largest relative error (Frobenius norm) a layer may show: bfloat16 rounding gave under 0.01, wrong kernels 0.06 and more.</summary>
    public const double Tolerance = 0.03;

    private const int ProbeBatch = 2;
    private const int ProbeSeed = 20240517;

    /// <summary>
    /// The channel counts oneDNN's kernels at the lifted level were measured right for: multiples of this, and an
    /// image's 1 or 3 channels as the first convolution's input.
    /// </summary>
    public const int RightChannelMultiple = 16;

    private static readonly ConcurrentDictionary<(string Layer, ScalarType Type), string?> Verdicts = new();

    /// <summary>
    /// For tests: given a layer's name (<c>features.block2.conv</c>) and its computation, what the check runs in its
    /// place in the type under test, so that a test can make a layer compute wrong (the float64 reference runs the
    /// real computation). Null in use. Flows with the caller's execution context; verdicts under it are not kept.
    /// </summary>
    internal static readonly AsyncLocal<Func<string, Func<Tensor, Tensor, Tensor>, Func<Tensor, Tensor, Tensor>>?> LayerUnderTest = new();

    /// <summary>
    /// Null when every convolution of <paramref name="shape"/> has the channel counts oneDNN's kernels at the lifted
    /// level were measured right for (<see cref="RightChannelMultiple"/>); else the first that has not, named. Judged
    /// from the shape alone, before any kernel runs: once the level is lifted for the process it cannot go back, and
    /// there such counts come out wrong in float32 too (see <see cref="Native.OneDnnGuard"/>).
    /// </summary>
    public static string? UnmeasuredChannels(NetworkShape shape, ImageGeometry geometry)
    {
        var inChannels = geometry.Channels;
        for (var i = 0; i < shape.ConvolutionChannels.Count; i++)
        {
            var outChannels = shape.ConvolutionChannels[i];
            var inputRight = inChannels % RightChannelMultiple == 0 || (i == 0 && inChannels is 1 or 3);
            if (!inputRight || outChannels % RightChannelMultiple != 0)
                return $"features.block{i + 1}.conv, Conv2d({inChannels}→{outChannels})";
            inChannels = outChannels;
        }
        return null;
    }

    /// <summary>
    /// Null when every layer of <paramref name="shape"/> for <paramref name="geometry"/> computes right in the type it
    /// runs in when the network computes in <paramref name="type"/> (see <see cref="MixedPrecision"/>: the low type where
    /// it pays, float32 elsewhere, under the same oneDNN); else what went wrong, naming the layer.
    /// </summary>
    public static string? FirstWrongLayer(NetworkShape shape, ImageGeometry geometry, ScalarType type)
    {
        var (channels, height, width) = (geometry.Channels, geometry.Height, geometry.Width);
        var k = shape.KernelSize;
        for (var i = 0; i < shape.ConvolutionChannels.Count; i++)
        {
            var outChannels = shape.ConvolutionChannels[i];
            var layerType = type == ScalarType.Float32 || !MixedPrecision.ConvolutionInLowType((long)(height - k + 1) * (width - k + 1)) ? ScalarType.Float32 : type;
            // The first layer's input is the image, which needs no gradient.
            var (inChannels, inputGradient, h, w) = (channels, i > 0, height, width);
            var name = $"features.block{i + 1}.conv";
            var problem = Verdict(($"conv {inChannels}->{outChannels} k{k} {h}x{w} dx {inputGradient}", layerType),
                () => CheckConvolution(name, inChannels, outChannels, k, h, w, inputGradient, layerType));
            if (problem is not null)
                return $"{name}, Conv2d({inChannels}→{outChannels}, {k}×{k}) on {h}×{w}: {problem}";
            (channels, height, width) = (outChannels, (height - k + 1) / shape.PoolSize, (width - k + 1) / shape.PoolSize);
        }
        var features = shape.FlattenSize(geometry);
        var units = shape.HiddenUnits.Append(1).ToArray();
        for (var i = 0; i < units.Length; i++)
        {
            var (inFeatures, outFeatures) = (features, units[i]);
            var layerType = type == ScalarType.Float32 || !MixedPrecision.LinearInLowType((long)inFeatures * outFeatures) ? ScalarType.Float32 : type;
            var name = $"classifier.{(i < units.Length - 1 ? $"fc{i + 1}" : "out")}";
            var problem = Verdict(($"linear {inFeatures}->{outFeatures}", layerType), () => CheckLinear(name, inFeatures, outFeatures, layerType));
            if (problem is not null)
                return $"{name}, Linear({inFeatures}→{outFeatures}): {problem}";
            features = outFeatures;
        }
        return null;
    }

    // Kept for the process, but not when a test stands in for a layer.
    private static string? Verdict((string Layer, ScalarType Type) key, Func<string?> check) =>
        LayerUnderTest.Value is null ? Verdicts.GetOrAdd(key, _ => check()) : check();

    // At the layer's own image size: oneDNN chooses its kernels by shape.
    private static string? CheckConvolution(string name, int inChannels, int outChannels, int kernel, int height, int width, bool inputGradient, ScalarType type)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(ProbeSeed);
        var input = rand(new long[] { ProbeBatch, inChannels, height, width }, ScalarType.Float64, generator: generator);
        var weight = randn(new long[] { outChannels, inChannels, kernel, kernel }, ScalarType.Float64, generator: generator)
            .mul_(1.0 / Math.Sqrt(inChannels * kernel * kernel));
        var upstream = randn(new long[] { ProbeBatch, outChannels, height - kernel + 1, width - kernel + 1 }, ScalarType.Float64, generator: generator);
        return Compare(name, (x, w) => nn.functional.conv2d(x, w), input, weight, upstream, inputGradient, type);
    }

    private static string? CheckLinear(string name, int inFeatures, int outFeatures, ScalarType type)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(ProbeSeed);
        var input = randn(new long[] { ProbeBatch, inFeatures }, ScalarType.Float64, generator: generator);
        var weight = randn(new long[] { outFeatures, inFeatures }, ScalarType.Float64, generator: generator).mul_(1.0 / Math.Sqrt(inFeatures));
        var upstream = randn(new long[] { ProbeBatch, outFeatures }, ScalarType.Float64, generator: generator);
        return Compare(name, (x, w) => nn.functional.linear(x, w), input, weight, upstream, inputGradient: true, type);
    }

    /// <summary>Runs <paramref name="layer"/> in float64 and in <paramref name="type"/>; null when output and gradients agree.</summary>
    private static string? Compare(string name, Func<Tensor, Tensor, Tensor> layer, Tensor input, Tensor weight, Tensor upstream, bool inputGradient, ScalarType type)
    {
        (Tensor Output, Tensor WeightGradient, Tensor? InputGradient) Run(ScalarType t, Func<Tensor, Tensor, Tensor> compute)
        {
            var x = input.to(t).detach().requires_grad_(inputGradient);
            var w = weight.to(t).detach().requires_grad_(true);
            var output = compute(x, w).to(ScalarType.Float64);
            output.mul(upstream).sum().backward();
            return (output.detach(), w.grad!.to(ScalarType.Float64), inputGradient ? x.grad!.to(ScalarType.Float64) : null);
        }
        var reference = Run(ScalarType.Float64, layer);
        var probe = Run(type, LayerUnderTest.Value is { } standIn ? standIn(name, layer) : layer);
        foreach (var (what, got, want) in new[] { ("output", probe.Output, reference.Output), ("weight gradient", probe.WeightGradient, reference.WeightGradient) }
            .Concat(inputGradient ? new[] { ("input gradient", probe.InputGradient!, reference.InputGradient!) } : []))
        {
            var error = got.sub(want).norm().item<double>() / Math.Max(want.norm().item<double>(), double.Epsilon);
            if (!(error <= Tolerance))
                return $"the {type} {what} is {(double.IsNaN(error) ? "NaN" : $"{error:P0} off")} (float64 reference; {type} rounding alone stays under {Tolerance:P0})";
        }
        return null;
    }
}
