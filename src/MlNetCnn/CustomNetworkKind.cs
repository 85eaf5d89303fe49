using System.Security.Cryptography;

namespace MlNetCnn;

/// <summary>Where a <see cref="CustomNetwork"/> comes from.</summary>
public enum CustomNetworkKind
{
    /// <summary>A TorchScript module (PyTorch's <c>torch.jit.script(...).save(path)</c>), trained and stored as its archive.</summary>
    TorchScript,
    /// <summary>A TorchSharp module built by a registered <see cref="ICnnNetworkFactory"/>, stored as its factory's name, settings and weights.</summary>
    Factory,
}
