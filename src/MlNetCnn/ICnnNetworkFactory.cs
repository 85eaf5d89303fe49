using static TorchSharp.torch;

namespace MlNetCnn;

/// <summary>
/// Builds a TorchSharp network for <see cref="CustomNetwork.FromFactory"/>. Register it with
/// <c>[assembly: CnnNetworkFactory("my-net", typeof(MyFactory))]</c>; it needs a public parameterless constructor.
/// </summary>
/// <remarks>
/// The module's forward takes <c>[N, C, H, W]</c> and returns <c>[N]</c> or <c>[N, 1]</c> logits. Its state must be
/// float32 tensors (the zip stores them). Batch norm's <c>num_batches_tracked</c> counters are removed after
/// <see cref="Create"/>: TorchSharp 0.107 bumps them through a temporary Scalar that a garbage collection can free
/// mid-call, and with a fixed momentum nothing reads them.
/// </remarks>
public interface ICnnNetworkFactory
{
    /// <summary>
    /// A new, untrained network for images of <paramref name="geometry"/>, built from <paramref name="settings"/>
    /// (the string given to <see cref="CustomNetwork.FromFactory"/>). Throw <see cref="ArgumentException"/> naming
    /// the problem for settings or a geometry it cannot take. The random generator is seeded before the call.
    /// </summary>
    nn.Module<Tensor, Tensor> Create(ImageGeometry geometry, string settings);
}
