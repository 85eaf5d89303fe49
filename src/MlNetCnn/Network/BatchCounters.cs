using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetCnn.Network;

/// <summary>
/// Drops batch norm's <c>num_batches_tracked</c> counters from a TorchSharp module. With a fixed momentum nothing
/// reads them, and TorchSharp 0.107 bumps them with <c>add_(1)</c> through a temporary Scalar it does not keep alive
/// across the native call (a collection at the wrong moment frees it: "Unknown scalar type"). TorchScript modules
/// count in native code and keep theirs.
/// </summary>
internal static class BatchCounters
{
    /// <summary>Removes every counter in <paramref name="module"/> and its submodules; returns the module.</summary>
    public static T Remove<T>(T module) where T : nn.Module
    {
        foreach (var norm in module.modules().OfType<NormBase>())
            norm.num_batches_tracked = null;
        if (module is NormBase self)
            self.num_batches_tracked = null;
        return module;
    }
}
