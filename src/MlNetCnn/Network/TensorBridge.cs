using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace MlNetCnn.Network;

/// <summary>Moves float data between managed memory and tensors with one block copy each way.</summary>
internal static class TensorBridge
{
    /// <summary>A new float32 tensor of <paramref name="shape"/> holding a copy of <paramref name="data"/>.</summary>
    public static Tensor FromSpan(ReadOnlySpan<float> data, params long[] shape)
    {
        var tensor = empty(shape, ScalarType.Float32);
        if (tensor.numel() != data.Length)
        {
            tensor.Dispose();
            throw new ArgumentException($"{data.Length} values do not fill a tensor of shape [{string.Join(", ", shape)}].");
        }
        // Tensor.bytes is a view of the tensor's own storage: one block copy, no per-element work.
        data.CopyTo(MemoryMarshal.Cast<byte, float>(tensor.bytes));
        return tensor;
    }

    /// <summary>Copies a float32 tensor's values into <paramref name="destination"/>.</summary>
    public static void CopyTo(Tensor tensor, Span<float> destination)
    {
        using var dense = tensor.to_type(ScalarType.Float32).contiguous();
        var count = checked((int)dense.numel());
        if (count != destination.Length)
            throw new ArgumentException($"A tensor of {count} values does not fit {destination.Length} places.");
        MemoryMarshal.Cast<byte, float>(dense.bytes).CopyTo(destination);
    }
}
