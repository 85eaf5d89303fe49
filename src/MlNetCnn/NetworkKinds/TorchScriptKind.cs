using System.Security.Cryptography;
using MlNetCnn.Native;
using MlNetCnn.Network;
using static TorchSharp.torch;

namespace MlNetCnn.NetworkKinds;

/// <summary>
/// A TorchScript module (<see cref="CustomNetwork.FromTorchScript(string)"/>), trained in place and kept as its
/// archive in stream CnnTorchScript, in place of CnnWeights. MlNetCnn's ONNX writer cannot express it.
/// </summary>
internal sealed class TorchScriptKind(CustomNetwork network) : NetworkKind
{
    /// <summary>Its number in the zip's network stream.</summary>
    public const int Number = 1;

    /// <summary>The stream that holds the trained module's archive, as torch.jit.save writes it.</summary>
    public const string ArchiveStream = "CnnTorchScript";

    /// <summary>The kind of <paramref name="network"/> when it is TorchScript.</summary>
    public static NetworkKind? For(CustomNetwork network) => network.Kind == CustomNetworkKind.TorchScript ? new TorchScriptKind(network) : null;

    public override string Description => network.ToString();

    public override string Identity => $"TorchScript sha256 {network.ArchiveSha256}";

    public override NetworkModule Create(ImageGeometry geometry)
    {
        jit.ScriptModule<Tensor, Tensor> module;
        try
        {
            module = jit.load<Tensor, Tensor>(network.Archive);
        }
        catch (Exception e) when (e is System.Runtime.InteropServices.ExternalException)
        {
            throw new ArgumentException($"The {Description} could not be loaded by libtorch: {FirstLine(e.Message)}", nameof(CnnOptions.CustomNetwork), e);
        }
        return NetworkModule.Of(module);
    }

    public override TrainedNetwork Capture(NetworkModule network) => new Trained(ScriptArchive.Write((jit.ScriptModule)network.Module));

    /// <summary>The trained module of a saved model: its archive.</summary>
    public static TrainedNetwork Read(SavedNetwork saved) =>
        new Trained(saved.State(ArchiveStream, MaxCustomStateBytes, $"the network's state stream '{ArchiveStream}'"));

    /// <summary>A trained TorchScript module, kept as its archive.</summary>
    private sealed class Trained(byte[] archive) : TrainedNetwork
    {
        private string Sha256 { get; } = Convert.ToHexStringLower(SHA256.HashData(archive));

        public override string Description => $"TorchScript module (trained archive sha256 {Sha256[..12]})";

        public override OnnxForm Onnx => OnnxForm.None(() =>
        {
            using var network = Load();
            var first = network.Module.named_children().Select(c => c.name).FirstOrDefault() ?? "forward";
            return $"This model's network is a TorchScript module, and MlNetCnn's ONNX writer cannot express its layers (the first: '{first}'). " +
                "Export it from PyTorch with torch.onnx.export, or score it with LibTorch (the model's engine).";
        });

        public override int? Number => TorchScriptKind.Number;

        public override string StateStream => ArchiveStream;

        public override byte[] StateBytes => archive;

        public override byte[]? TorchScriptArchive => archive;

        public override NetworkModule Load(ImageGeometry geometry) => Load();

        public override IReadOnlyList<LayerSummary> Describe(ImageGeometry geometry)
        {
            using var network = Load();
            return ModuleLayers(network.Module, "scripted");
        }

        private NetworkModule Load()
        {
            TorchRuntime.EnsureLoaded();
            var network = NetworkModule.Of(jit.load<Tensor, Tensor>(archive));
            network.Module.eval();
            return network;
        }
    }
}
