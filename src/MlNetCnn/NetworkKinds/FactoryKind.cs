using System.Reflection;
using MlNetCnn.Native;
using MlNetCnn.Network;
using MlNetCnn.Onnx;
using static TorchSharp.torch;
using MlNetCnn.Tasks;

namespace MlNetCnn.NetworkKinds;

/// <summary>
/// A TorchSharp module from a factory registered with <see cref="CnnNetworkFactoryAttribute"/>
/// (<see cref="CustomNetwork.FromFactory"/>). Its model keeps the factory's name, settings and registering assembly in
/// the network stream and the weights in CnnWeights; loading it needs the factory again. It has an ONNX form when the
/// factory writes one (<see cref="IWritesOnnx"/>: MlNetCnn's own residual network's).
/// </summary>
/// <param name="network">What the options name.</param>
/// <param name="factory">The registered factory.</param>
/// <param name="assembly">The assembly that registers it (its full name is saved with the model).</param>
internal sealed class FactoryKind(CustomNetwork network, ICnnNetworkFactory factory, Assembly assembly) : NetworkKind
{
    /// <summary>Its number in the zip's network stream.</summary>
    public const int Number = 2;

    /// <summary>A registered factory whose networks MlNetCnn's ONNX writer can express.</summary>
    internal interface IWritesOnnx
    {
        /// <summary>The ONNX model of the network made with <paramref name="settings"/> for <paramref name="geometry"/>, holding <paramref name="weights"/>.</summary>
        ProtoMessage Onnx(string settings, ImageGeometry geometry, NetworkWeights weights, CnnTask task, float threshold, IEnumerable<KeyValuePair<string, string>> metadata);
    }

    /// <summary>The kind of <paramref name="network"/> when a factory makes it; refuses a name no factory is registered as.</summary>
    public static NetworkKind? For(CustomNetwork network)
    {
        if (network.Kind != CustomNetworkKind.Factory)
            return null;
        try
        {
            var (factory, assembly) = NetworkFactories.Find(network.FactoryName!);
            return new FactoryKind(network, factory, assembly);
        }
        catch (InvalidOperationException e)
        {
            throw new ArgumentException(e.Message, nameof(CnnOptions.CustomNetwork), e);
        }
    }

    public override string Description => network.ToString();

    public override NetworkModule Create(ImageGeometry geometry) => Build(factory, network.FactoryName!, network.Settings, geometry);

    public override TrainedNetwork Capture(NetworkModule trained) =>
        new Trained(network.FactoryName!, network.Settings, assembly.FullName!, factory, NetworkWeights.Of(trained.Module));

    // *** Network stream, after the number ***
    // string: registered name; string: settings; string: full name of the assembly that registers it

    /// <summary>The factory's network of a saved model; the factory is found now, so that a model whose factory is not deployed fails to load rather than at its first score.</summary>
    public static TrainedNetwork Read(SavedNetwork saved)
    {
        var (name, settings, assemblyName) = (saved.Details.ReadString(), saved.Details.ReadString(), saved.Details.ReadString());
        var state = saved.State(TrainedNetwork.WeightsStream, MaxCustomStateBytes, $"the network's state stream '{TrainedNetwork.WeightsStream}'");
        var (factory, _) = NetworkFactories.Find(name, assemblyName);
        return new Trained(name, settings, assemblyName, factory, saved.Weights(state));
    }

    /// <summary>The factory's module for <paramref name="geometry"/>, without batch counters and with its output made logits.</summary>
    private static NetworkModule Build(ICnnNetworkFactory factory, string name, string settings, ImageGeometry geometry)
    {
        nn.Module<Tensor, Tensor> module;
        try
        {
            module = factory.Create(geometry, settings) ?? throw new ArgumentException($"The CNN network factory '{name}' returned null.");
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"The CNN network factory '{name}' cannot build a network for images of {geometry} with settings '{settings}': {e.Message}", nameof(CnnOptions.CustomNetwork), e);
        }
        return NetworkModule.Of(BatchCounters.Remove(module));
    }

    /// <summary>A trained factory network: the factory's name, settings, registering assembly and the weights.</summary>
    private sealed class Trained(string name, string settings, string assemblyName, ICnnNetworkFactory factory, NetworkWeights weights) : TrainedNetwork
    {
        public override string Description => settings.Length == 0 ? $"factory '{name}'" : $"factory '{name}' ({settings})";

        public override OnnxForm Onnx => factory is IWritesOnnx writer
            ? OnnxForm.Of((geometry, task, threshold, metadata) => writer.Onnx(settings, geometry, weights, task, threshold, metadata))
            : OnnxForm.None(() =>
            {
                var first = weights.Tensors.Count == 0 ? "forward" : weights.Tensors[0].Name[..Math.Max(0, weights.Tensors[0].Name.LastIndexOf('.'))];
                return $"This model's network comes from the factory '{name}', whose layers MlNetCnn's ONNX writer cannot express (the first: '{first}'); " +
                    "it writes only its own networks. Score it with LibTorch (the model's engine).";
            });

        public override int? Number => FactoryKind.Number;

        public override byte[] StateBytes => weights.ToBytes();

        public override void WriteDetails(BinaryWriter writer)
        {
            writer.Write(name);
            writer.Write(settings);
            writer.Write(assemblyName);
        }

        public override NetworkModule Load(ImageGeometry geometry)
        {
            TorchRuntime.EnsureLoaded();
            var network = Build(factory, name, settings, geometry);
            try
            {
                LoadState(network.Module, weights);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                network.Dispose();
                throw new InvalidDataException($"The weights saved for {Description} do not fit the network its factory builds now for images of {geometry}: {e.Message} " +
                    $"Load the model with the version of {assemblyName} that trained it.", e);
            }
            network.Module.eval();
            return network;
        }

        public override IReadOnlyList<LayerSummary> Describe(ImageGeometry geometry)
        {
            using var network = Load(geometry);
            return ModuleLayers(network.Module, null);
        }
    }
}
