using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetCnn.Network;

/// <summary>
/// A layer stack run as PyTorch's <c>torch.autocast</c> runs it on the CPU: convolutions and linear layers take their
/// input and a cast of their float32 weights in the low type; every other layer (batch norm with its float32 weights
/// and statistics, ReLU, pooling) takes what comes. The casts are part of the graph, so backward brings float32
/// gradients to the float32 weights, and the optimiser never sees the low type.
/// </summary>
internal static class MixedPrecision
{
    /// <summary>Runs <paramref name="layers"/> (nested sequences included) on <paramref name="input"/> with convolutions and linear layers in <paramref name="type"/>.</summary>
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
        Linear linear => nn.functional.linear(x.to(type), linear.weight!.to(type), linear.bias?.to(type)),
        nn.Module<Tensor, Tensor> other => other.forward(x),
        _ => throw new InvalidOperationException($"Mixed precision cannot run a {layer.GetType().Name} layer."),
    };

    private static Tensor Convolution(Conv2d conv, Tensor x, ScalarType type)
    {
        if (conv.padding_type is not null || conv.padding_mode != PaddingModes.Zeros)
            throw new InvalidOperationException("Mixed precision runs zero-padded convolutions with explicit padding only.");
        return nn.functional.conv2d(x.to(type), conv.weight!.to(type), conv.bias?.to(type), conv.stride, conv.padding, conv.dilation, conv.groups);
    }
}
