using MlNetCnn.Training;
using MlNetCnn.Native;
using MlNetCnn.Network;
namespace MlNetCnn;

/// <summary>
/// The number format training computes in (<see cref="CnnOptions.Precision"/>), and scoring
/// (<see cref="CnnTransformer.WithScoringPrecision"/>). The saved weights are float32 in every case.
/// </summary>
public enum Precision
{
    /// <summary>Float32 throughout (the default).</summary>
    Float32,

    /// <summary>
    /// Mixed precision: convolutions and dense layers compute in bfloat16; the weights (master copy), their gradients,
    /// Adam's state, batch normalisation's statistics and the loss stay float32. Fast only where the CPU has bfloat16
    /// instructions and oneDNN may use them. Where only MlNetCnn's oneDNN cap (machines that hide their cache sizes)
    /// stands in the way, Fit lifts it for the process if no network has run yet, and otherwise refuses, saying to call
    /// <see cref="Native.TorchRuntime.AllowBFloat16Kernels"/> at start-up. On a CPU without bfloat16 instructions (or
    /// under a cap the process set itself) it runs, slower than Float32, and says so.
    /// </summary>
    BFloat16,

    /// <summary>
    /// <see cref="BFloat16"/> where the CPU has native bfloat16 (<c>avx512_bf16</c> or <c>amx_bf16</c> in /proc/cpuinfo),
    /// oneDNN is not capped below its bfloat16 kernels (MlNetCnn caps it on machines that hide their cache sizes, and
    /// lifts it for a Fit asking for Auto where no network has run yet in the process, or after
    /// <see cref="Native.TorchRuntime.AllowBFloat16Kernels"/>), and those kernels compute this network's layers right;
    /// otherwise <see cref="Float32"/>. Fit logs which, and why.
    /// </summary>
    Auto,
}
