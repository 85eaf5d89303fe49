using MlNetCnn.Precisions;
using static TorchSharp.torch;

namespace MlNetCnn.Tests.Support;

/// <summary>What of a layer's computation a <see cref="LayerFault"/> makes wrong.</summary>
internal enum FaultKind
{
    /// <summary>The output, forward.</summary>
    Output,

    /// <summary>The gradient backward brings through the layer (to its weight and its input); the output stays right.</summary>
    Gradient,

    /// <summary>The gradient to the layer's input only; the output and the weight gradient stay right.</summary>
    InputGradient,
}

/// <summary>
/// Makes one layer compute wrong for the real kernel check (<see cref="KernelCheck.LayerUnderTest"/>), as a broken
/// kernel would: its output, or a gradient, off by a factor. Also linked into MlNetCnn.ScoringProbe, which takes it as
/// <c>--fault LAYER:KIND</c>.
/// </summary>
internal static class LayerFault
{
    /// <summary>10 % off: the size of the wrong kernels measured (10–40 %), well past bfloat16's rounding (under 1 %).</summary>
    public const double TenPercent = 1.1;

    /// <summary>Until disposed, <paramref name="layer"/> (as the check names it, <c>features.block2.conv</c>) computes its <paramref name="kind"/> times <paramref name="factor"/>.</summary>
    public static IDisposable Inject(string layer, FaultKind kind, double factor = TenPercent)
    {
        var before = KernelCheck.LayerUnderTest.Value;
        KernelCheck.LayerUnderTest.Value = (name, compute) => name == layer ? Wrap(compute, kind, factor) : compute;
        return new Undo(() => KernelCheck.LayerUnderTest.Value = before);
    }

    /// <summary>Parses <c>LAYER:KIND</c> (<c>features.block2.conv:Output</c>) and injects it.</summary>
    public static IDisposable Inject(string spec)
    {
        var colon = spec.LastIndexOf(':');
        return Inject(spec[..colon], Enum.Parse<FaultKind>(spec[(colon + 1)..]));
    }

    private static Func<Tensor, Tensor, Tensor> Wrap(Func<Tensor, Tensor, Tensor> compute, FaultKind kind, double factor) => kind switch
    {
        FaultKind.Output => (x, w) => compute(x, w).mul(factor),
        // y + (f − 1)(y − y.detach()) is y forward, and brings f times y's gradient back.
        FaultKind.Gradient => (x, w) =>
        {
            var y = compute(x, w);
            return y.add(y.sub(y.detach()).mul(factor - 1));
        },
        FaultKind.InputGradient => (x, w) => compute(x.add(x.sub(x.detach()).mul(factor - 1)), w),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    private sealed class Undo(Action undo) : IDisposable
    {
        public void Dispose() => undo();
    }
}
