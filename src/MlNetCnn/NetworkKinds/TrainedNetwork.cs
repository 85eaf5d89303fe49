using MlNetCnn.Network;
using MlNetCnn.Precisions;
using static TorchSharp.torch;

namespace MlNetCnn.NetworkKinds;

/// <summary>
/// A trained network as a model holds it, in managed memory, as its kind knows it: what it is called, its part of the
/// zip, how it comes back into libtorch, its layers and its ONNX form. Made by <see cref="NetworkKind.Capture"/> or
/// read back by its kind's <see cref="NetworkKind.Registration.Read"/> (the built-in one's by
/// <see cref="BuiltInKind.Read"/>).
/// </summary>
internal abstract class TrainedNetwork
{
    /// <summary>The stream that holds a network's state in TorchSharp's own format (Module.save).</summary>
    public const string WeightsStream = "CnnWeights";

    /// <summary>What messages call it.</summary>
    public abstract string Description { get; }

    /// <summary>The built-in network's shape (the model body's layer fields); null for a custom one.</summary>
    public virtual NetworkShape? Shape => null;

    /// <summary>Whether this is the built-in network, the one with mixed precision and a kernel check.</summary>
    public bool IsBuiltIn => Shape is not null;

    /// <summary>The precision training computed in (Float32 or BFloat16): mixed precision is the built-in network's, so a custom one's is Float32.</summary>
    public virtual Precision TrainedPrecision => Precision.Float32;

    /// <summary>Whether and how it is written as ONNX (and so whether ONNX Runtime can score it).</summary>
    public abstract OnnxForm Onnx { get; }

    /// <summary>Its number in the zip's network stream (see <see cref="NetworkKind.Registered"/>); null for the built-in network, whose model has no such stream.</summary>
    public abstract int? Number { get; }

    /// <summary>The stream that holds <see cref="StateBytes"/>.</summary>
    public virtual string StateStream => WeightsStream;

    /// <summary>The bytes the zip's state stream holds (the model body keeps their SHA-256).</summary>
    public abstract byte[] StateBytes { get; }

    /// <summary>The trained TorchScript archive; null for a network that is not TorchScript.</summary>
    public virtual byte[]? TorchScriptArchive => null;

    /// <summary>Writes what the network stream holds after <see cref="Number"/> (nothing, unless the kind needs more to be made again).</summary>
    public virtual void WriteDetails(BinaryWriter writer)
    {
    }

    /// <summary>Throws <see cref="InvalidDataException"/> unless the state fits images of <paramref name="geometry"/>, where that can be known without libtorch.</summary>
    public virtual void CheckState(ImageGeometry geometry)
    {
    }

    /// <summary>The network in libtorch, in evaluation mode, with its trained state.</summary>
    public abstract NetworkModule Load(ImageGeometry geometry);

    /// <summary>The layers, as far as they can be known.</summary>
    public abstract IReadOnlyList<LayerSummary> Describe(ImageGeometry geometry);

    /// <summary>Loads <paramref name="weights"/> into <paramref name="network"/> strictly (same names and shapes); returns it in evaluation mode.</summary>
    protected static T LoadState<T>(T network, NetworkWeights weights) where T : nn.Module
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
    protected static IReadOnlyList<LayerSummary> ModuleLayers(nn.Module module, string? kind)
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
