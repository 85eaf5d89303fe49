using System.Security.Cryptography;

namespace MlNetCnn;

/// <summary>
/// A network of the user's own, trained by <see cref="CnnEstimator"/> in place of the built-in one
/// (<see cref="CnnOptions.CustomNetwork"/>): a TorchScript module or a TorchSharp module from a registered factory.
/// Its forward takes <c>[N, C, H, W]</c> float images and returns <c>[N]</c> or <c>[N, 1]</c> logits (no sigmoid).
/// Training checks this, the parameters and the input size before the first epoch.
/// </summary>
public sealed class CustomNetwork
{
    /// <summary>The name under which MlNetCnn registers its own residual network's factory.</summary>
    public const string ResidualFactoryName = "mlnetcnn.residual";

    private readonly byte[]? archive;

    private CustomNetwork(CustomNetworkKind kind, string? factoryName, string settings, byte[]? archive, string source)
    {
        Kind = kind;
        FactoryName = factoryName;
        Settings = settings;
        this.archive = archive;
        Source = source;
        if (archive is not null)
            ArchiveSha256 = Convert.ToHexStringLower(SHA256.HashData(archive));
    }

    /// <summary>TorchScript or factory.</summary>
    public CustomNetworkKind Kind { get; }

    /// <summary>The factory's registered name; null for TorchScript.</summary>
    public string? FactoryName { get; }

    /// <summary>The settings string handed to the factory; empty for TorchScript.</summary>
    public string Settings { get; }

    /// <summary>Where the network came from: the TorchScript file's path, or the factory's name.</summary>
    public string Source { get; }

    /// <summary>SHA-256 of the TorchScript archive as given (lower-case hex); null for a factory network.</summary>
    public string? ArchiveSha256 { get; }

    /// <summary>The untrained TorchScript archive's bytes.</summary>
    internal byte[] Archive => archive ?? throw new InvalidOperationException($"The network {this} is not TorchScript.");

    /// <summary>
    /// A TorchScript module read from <paramref name="path"/> now (a later change to the file does not reach
    /// training): what <c>torch.jit.script(module).save(path)</c> writes in PyTorch. The trained module travels in
    /// model.zip, so scoring needs no file.
    /// </summary>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="InvalidDataException">The file is not a TorchScript archive (a zip).</exception>
    public static CustomNetwork FromTorchScript(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"No TorchScript file '{path}'. Write one in PyTorch with torch.jit.script(model).save(path).", path);
        return FromTorchScript(File.ReadAllBytes(path), Path.GetFullPath(path));
    }

    /// <summary>A TorchScript module from its archive's bytes; <paramref name="name"/> names it in messages.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a TorchScript archive (a zip).</exception>
    public static CustomNetwork FromTorchScript(byte[] archive, string name = "TorchScript module")
    {
        ArgumentNullException.ThrowIfNull(archive);
        // A TorchScript archive is a zip: "PK\x03\x04". TorchSharp's Module.save format (or a PyTorch pickle) is not.
        if (archive.Length < 4 || archive[0] != 'P' || archive[1] != 'K' || archive[2] != 3 || archive[3] != 4)
            throw new InvalidDataException($"{name} is not a TorchScript archive (it does not start as a zip does). Save the module in PyTorch with " +
                "torch.jit.script(model).save(path), or in TorchSharp with torch.jit.save; Module.save and torch.save write other formats.");
        return new CustomNetwork(CustomNetworkKind.TorchScript, null, "", (byte[])archive.Clone(), name);
    }

    /// <summary>
    /// A TorchSharp module from the factory registered as <paramref name="name"/> with
    /// <c>[assembly: CnnNetworkFactory(name, typeof(MyFactory))]</c>, given <paramref name="settings"/>. The factory is
    /// looked up when training starts; loading the model later needs the factory's assembly again.
    /// </summary>
    public static CustomNetwork FromFactory(string name, string settings = "")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(settings);
        return new CustomNetwork(CustomNetworkKind.Factory, name, settings, null, name);
    }

    /// <summary>
    /// MlNetCnn's residual network: a 3×3 stem, one residual block per stage (the first at full resolution, each
    /// next one halving it), global average pooling and one logit. <paramref name="stageChannels"/> are the stages'
    /// channels (default 16, 32, 64). It takes any image of at least
    /// <see cref="Network.ResidualNetwork.MinimumImageSide"/> pixels a side.
    /// </summary>
    public static CustomNetwork Residual(params int[] stageChannels) =>
        FromFactory(ResidualFactoryName, stageChannels is { Length: > 0 } ? string.Join(",", stageChannels) : "");

    /// <inheritdoc />
    public override string ToString() => Kind == CustomNetworkKind.TorchScript
        ? $"TorchScript {Source} (sha256 {ArchiveSha256![..12]})"
        : Settings.Length == 0 ? $"factory '{FactoryName}'" : $"factory '{FactoryName}' ({Settings})";
}
