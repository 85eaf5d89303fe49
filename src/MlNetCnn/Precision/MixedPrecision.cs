using MlNetCnn.Training;
using MlNetCnn.Native;
using MlNetCnn.Network;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetCnn.Precisions;

/// <summary>
/// A layer stack run as PyTorch's <c>torch.autocast</c> runs it on the CPU, for the layers where the low type pays:
/// those convolutions and linear layers take their input and a cast of their float32 weights in the low type; the
/// others, and every other layer (batch norm with its float32 weights and statistics, ReLU, pooling), take what comes,
/// float32 for a float32 layer. The casts are part of the graph, so backward brings float32 gradients to the float32
/// weights, and the optimiser never sees the low type.
/// </summary>
/// <remarks>
/// Which layers run in bfloat16 is decided by their shape alone, so a run is repeatable. Measured with oneDNN's
/// bfloat16 kernels on a 2-vCPU Zen 5 VM (forward and backward, batch 64, milliseconds, bfloat16 against float32):
/// a 32→64 5×5 convolution with a 1×1 or 2×2 output took 154 against 3 and 13 against 2 (its weight gradient has no
/// fast kernel), 64→128 at 2×2 368 against 5; from 6×6 on bfloat16 was faster (32→64: 12 against 17; 64→128: 13
/// against 23). A linear layer of 2,048×500 weights took 1.2 against 3.0–3.8 at batch 32, 16,384×500 34–50 against
/// 74–113, but 93,312×500 (the question's network at 244×244) 765 against 490: each step's casts of so many weights
/// cost more than the products save.
/// </remarks>
internal static class MixedPrecision
{
    /// <summary>The fewest output pixels (per image and channel) a convolution needs to run in the low type.</summary>
    public const long MinimumConvolutionOutputPixels = 36;

    /// <summary>The most weights a linear layer may have to run in the low type (2^24: 64 MiB in float32).</summary>
    public const long MaximumLinearWeights = 1L << 24;

    /// <summary>Whether a convolution with <paramref name="outputPixels"/> output pixels per channel runs in the low type.</summary>
    public static bool ConvolutionInLowType(long outputPixels) => outputPixels >= MinimumConvolutionOutputPixels;

    /// <summary>Whether a linear layer of <paramref name="weights"/> weights runs in the low type.</summary>
    public static bool LinearInLowType(long weights) => weights <= MaximumLinearWeights;

    /// <summary>Runs <paramref name="layers"/> (nested sequences included) on <paramref name="input"/>, the layers where it pays in <paramref name="type"/>.</summary>
    public static Tensor Forward(Sequential layers, Tensor input, ScalarType type)
    {
        var x = input;
        foreach (var (_, layer) in layers.named_children())
            x = Layer(layer, x, type);
        return x;
    }

    private static Tensor Layer(nn.Module layer, Tensor x, ScalarType type) => layer switch
    {
        Sequential inner => Forward(inner, x, type),
        Conv2d conv => Convolution(conv, x, type),
        Linear linear when LinearInLowType(linear.weight!.numel()) =>
            nn.functional.linear(x.to(type), linear.weight!.to(type), linear.bias?.to(type)),
        Linear linear => linear.forward(x.to(ScalarType.Float32)),
        nn.Module<Tensor, Tensor> other => other.forward(x),
        _ => throw new InvalidOperationException($"Mixed precision cannot run a {layer.GetType().Name} layer."),
    };

    private static Tensor Convolution(Conv2d conv, Tensor x, ScalarType type)
    {
        if (conv.padding_type is not null || conv.padding_mode != PaddingModes.Zeros)
            throw new InvalidOperationException("Mixed precision runs zero-padded convolutions with explicit padding only.");
        var pixels = OutputSide(x.shape[2], conv, 0) * OutputSide(x.shape[3], conv, 1);
        if (!ConvolutionInLowType(pixels))
            return conv.forward(x.to(ScalarType.Float32));
        return nn.functional.conv2d(x.to(type), conv.weight!.to(type), conv.bias?.to(type), conv.stride, conv.padding, conv.dilation, conv.groups);
    }

    private static long OutputSide(long input, Conv2d conv, int axis)
    {
        static long At(long[] values, int axis) => values.Length > axis ? values[axis] : values[0];
        return (input + 2 * At(conv.padding!, axis) - At(conv.dilation, axis) * (At(conv.kernel_size, axis) - 1) - 1) / At(conv.stride, axis) + 1;
    }
}
