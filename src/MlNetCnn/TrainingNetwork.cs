using MlNetCnn.Network;
using TorchSharp;

namespace MlNetCnn;

/// <summary>
/// The network being trained, as a <see cref="ITrainingCallback"/> sees it (<see cref="TrainingContext.Network"/>): its
/// TorchSharp module and named parameters, and freezing by name. A frozen parameter is not stepped, and a module whose
/// own parameters are all frozen stays in evaluation mode while the rest trains (a frozen batch norm keeps its
/// running statistics).
/// </summary>
/// <example>
/// <code>
/// sealed class FreezeFeaturesForTwoEpochs : ITrainingCallback
/// {
///     public void OnTrainingBegin(TrainingContext context)
///     {
///         context.Network.Freeze("features");                               // the built-in network's convolutions
///         context.Optimizer.AddGroup("head", "classifier", learningRateScale: 0.5);
///     }
///     public void OnEpochBegin(TrainingContext context)
///     {
///         if (context.Epoch == 3) context.Network.Unfreeze("features");
///     }
/// }
/// </code>
/// </example>
public sealed class TrainingNetwork
{
    private readonly NetworkModule network;

    internal TrainingNetwork(NetworkModule network) => this.network = network;

    /// <summary>The module being trained (the built-in network, a factory's module or a TorchScript module).</summary>
    public torch.nn.Module Module => network.Module;

    /// <summary>The parameters with their names (the weight format's names: <c>features.0.weight</c>, …).</summary>
    public IReadOnlyList<(string Name, torch.Tensor Parameter)> NamedParameters =>
        network.Module.named_parameters().Select(p => (p.name, (torch.Tensor)p.parameter)).ToArray();

    /// <summary>The names of the parameters that are frozen now.</summary>
    public IReadOnlyList<string> FrozenParameters =>
        network.Module.named_parameters().Where(p => !p.parameter.requires_grad).Select(p => p.name).ToArray();

    /// <summary>
    /// Freezes every parameter in <paramref name="part"/> (a parameter-name prefix: <c>features</c>, <c>features.0</c>;
    /// empty for the whole network) and returns how many. Throws, listing the network's parts, when none is in it.
    /// </summary>
    public int Freeze(string part) => network.SetFrozen(part, frozen: true);

    /// <summary>Unfreezes every parameter in <paramref name="part"/> and returns how many; see <see cref="Freeze"/>.</summary>
    public int Unfreeze(string part) => network.SetFrozen(part, frozen: false);
}
