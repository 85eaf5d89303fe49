using System.Security.Cryptography;
using MlNetCnn.Native;
using MlNetCnn.Network;
using MlNetCnn.Onnx;
using MlNetCnn.Tasks;
using TorchSharp;
using static TorchSharp.torch;
using MlNetCnn.Precisions;

namespace MlNetCnn.Scoring;

/// <summary>
/// A trained network as a model holds it, in managed memory: the built-in CNN's shape and weights, a TorchScript
/// archive, or a factory's name, settings and weights. Everything scoring, describing, exporting and saving needs.
/// </summary>
internal abstract class TrainedNetwork
{
    /// <summary>What messages call it.</summary>
    public abstract string Description { get; }

    /// <summary>The built-in network's shape; null for a custom one.</summary>
    public virtual NetworkShape? Shape => null;

    /// <summary>The precision training computed in (Float32 or BFloat16): mixed precision is the built-in network's, so a custom one's is Float32.</summary>
    public virtual Precision TrainedPrecision => Precision.Float32;

    /// <summary>Whether <see cref="Onnx"/> can write it (and so ONNX Runtime can score it).</summary>
    public abstract bool HasOnnxForm { get; }

    /// <summary>The bytes the zip's state stream holds: TorchSharp's state format, or the TorchScript archive.</summary>
    public abstract byte[] StateBytes { get; }

    /// <summary>The network in libtorch, in evaluation mode, with its trained state.</summary>
    public abstract NetworkModule Load(ImageGeometry geometry);

    /// <summary>The layers, as far as they can be known.</summary>
    public abstract IReadOnlyList<LayerSummary> Describe(ImageGeometry geometry);

    /// <summary>The ONNX model; throws <see cref="NotSupportedException"/>, naming the first layer it cannot express, when <see cref="HasOnnxForm"/> is false.</summary>
    public abstract ProtoMessage Onnx(ImageGeometry geometry, CnnTask task, float threshold, IEnumerable<KeyValuePair<string, string>> metadata);

    /// <summary>The trained state of <paramref name="network"/>, built from <paramref name="spec"/>.</summary>
    public static TrainedNetwork Capture(NetworkSpec spec, NetworkModule network) => spec switch
    {
        // The compute type is what training resolved its precision to (PrecisionChoice.Apply set it).
        NetworkSpec.BuiltIn builtIn => new BuiltIn(builtIn.Shape!, NetworkWeights.Of(network.Module),
            network.Module is CnnNetwork { ComputeType: ScalarType.BFloat16 } ? Precision.BFloat16 : Precision.Float32),
        NetworkSpec.Scripted => new Scripted(ScriptArchive.Write((jit.ScriptModule)network.Module)),
        NetworkSpec.Factory factory => new Factory(factory.Network.FactoryName!, factory.Network.Settings, factory.Assembly.FullName!, NetworkWeights.Of(network.Module)),
        _ => throw new ArgumentOutOfRangeException(nameof(spec), spec.GetType().Name, "Unknown network kind."),
    };

    /// <summary>The question's CNN: no libtorch needed to read, describe or export it.</summary>
    internal sealed class BuiltIn : TrainedNetwork
    {
        public BuiltIn(NetworkShape shape, NetworkWeights weights, Precision trainedPrecision)
        {
            if (trainedPrecision is not (Precision.Float32 or Precision.BFloat16))
                throw new ArgumentOutOfRangeException(nameof(trainedPrecision), trainedPrecision, "A network trains in Float32 or BFloat16; Auto is resolved before.");
            Shape = shape;
            Weights = weights;
            TrainedPrecision = trainedPrecision;
        }

        public override NetworkShape Shape { get; }

        public NetworkWeights Weights { get; }

        public override Precision TrainedPrecision { get; }

        public override string Description => Shape.ToString();

        public override bool HasOnnxForm => true;

        public override byte[] StateBytes => Weights.ToBytes();

        public override NetworkModule Load(ImageGeometry geometry) => NetworkModule.Of(LoadState(new CnnNetwork(geometry, Shape), Weights));

        public override IReadOnlyList<LayerSummary> Describe(ImageGeometry geometry) => Shape.Describe(geometry);

        public override ProtoMessage Onnx(ImageGeometry geometry, CnnTask task, float threshold, IEnumerable<KeyValuePair<string, string>> metadata) =>
            OnnxExporter.Build(Shape, geometry, Weights, task, threshold, metadata);
    }

    /// <summary>A trained TorchScript module, kept as its archive.</summary>
    internal sealed class Scripted(byte[] archive) : TrainedNetwork
    {
        public byte[] Archive => archive;

        public string Sha256 { get; } = Convert.ToHexStringLower(SHA256.HashData(archive));

        public override string Description => $"TorchScript module (trained archive sha256 {Sha256[..12]})";

        public override bool HasOnnxForm => false;

        public override byte[] StateBytes => archive;

        public override NetworkModule Load(ImageGeometry geometry)
        {
            TorchRuntime.EnsureLoaded();
            var network = NetworkModule.Of(jit.load<Tensor, Tensor>(archive));
            network.Module.eval();
            return network;
        }

        public override IReadOnlyList<LayerSummary> Describe(ImageGeometry geometry)
        {
            using var network = Load(geometry);
            return ModuleLayers(network.Module, "scripted");
        }

        public override ProtoMessage Onnx(ImageGeometry geometry, CnnTask task, float threshold, IEnumerable<KeyValuePair<string, string>> metadata)
        {
            using var network = Load(geometry);
            var first = network.Module.named_children().Select(c => c.name).FirstOrDefault() ?? "forward";
            throw new NotSupportedException($"This model's network is a TorchScript module, and MlNetCnn's ONNX writer cannot express its layers (the first: '{first}'). " +
                "Export it from PyTorch with torch.onnx.export, or score it with LibTorch (the model's engine).");
        }
    }

    /// <summary>A registered factory's TorchSharp module: its name, settings, the registering assembly and the weights.</summary>
    internal sealed class Factory(string name, string settings, string assemblyName, NetworkWeights weights) : TrainedNetwork
    {
        public string Name => name;

        public string Settings => settings;

        public string AssemblyName => assemblyName;

        public NetworkWeights Weights => weights;

        public override string Description => settings.Length == 0 ? $"factory '{name}'" : $"factory '{name}' ({settings})";

        public override bool HasOnnxForm => name == CustomNetwork.ResidualFactoryName;

        public override byte[] StateBytes => weights.ToBytes();

        public override NetworkModule Load(ImageGeometry geometry)
        {
            TorchRuntime.EnsureLoaded();
            var (factory, _) = NetworkFactories.Find(name, assemblyName);
            var network = NetworkSpec.Factory.Build(factory, name, settings, geometry);
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

        public override ProtoMessage Onnx(ImageGeometry geometry, CnnTask task, float threshold, IEnumerable<KeyValuePair<string, string>> metadata)
        {
            if (name == CustomNetwork.ResidualFactoryName)
                return OnnxExporter.BuildResidual(ResidualNetwork.ParseStages(settings), geometry, weights, task, threshold, metadata);
            var first = weights.Tensors.Count == 0 ? "forward" : weights.Tensors[0].Name[..Math.Max(0, weights.Tensors[0].Name.LastIndexOf('.'))];
            throw new NotSupportedException($"This model's network comes from the factory '{name}', whose layers MlNetCnn's ONNX writer cannot express (the first: '{first}'); " +
                "it writes only its own networks. Score it with LibTorch (the model's engine).");
        }
    }

    /// <summary>Loads <paramref name="weights"/> into <paramref name="network"/> strictly (same names and shapes); returns it in evaluation mode.</summary>
    private static T LoadState<T>(T network, NetworkWeights weights) where T : nn.Module
    {
        try
        {
            using var reader = new BinaryReader(new MemoryStream(weights.ToBytes()));
            network.load(reader, strict: true);
            network.eval();
            return network;
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>Leaf modules with their parameters; output shapes and FLOPs are not known for a module MlNetCnn did not write.</summary>
    private static IReadOnlyList<LayerSummary> ModuleLayers(nn.Module module, string? kind)
    {
        var layers = new List<LayerSummary>();
        foreach (var (name, child) in module.named_modules())
        {
            if (child.named_children().Any())
                continue;
            var parameters = child.parameters().Sum(p => p.numel());
            layers.Add(new LayerSummary(name, kind ?? child.GetType().Name, Array.Empty<int>(), parameters, 0));
        }
        if (layers.Count == 0)
            layers.Add(new LayerSummary("", kind ?? module.GetType().Name, Array.Empty<int>(), module.parameters().Sum(p => p.numel()), 0));
        return layers;
    }
}
