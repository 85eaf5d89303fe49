namespace MlNetCnn.Native;

/// <summary>
/// Keeps libtorch's oneDNN off its AVX-512 kernels on machines that hide their cache sizes from the guest.
/// </summary>
/// <remarks>
/// Seen on a 2-vCPU AMD EPYC (Zen 5) virtual machine with no <c>/sys/devices/system/cpu/cpu0/cache</c>: oneDNN's
/// AVX-512 convolution kernels (every ISA level from AVX512_CORE up) compute wrong float32 gradients for channel
/// counts that are not multiples of 16, and with two threads the loss of a small network went NaN within three
/// epochs, every time; capped at AVX2 the gradients were right for the counts that failed (not for every count:
/// some that are not multiples of 8 are still wrong there, README, Guarantees). The cap is a default: a process that
/// sets <c>ONEDNN_MAX_CPU_ISA</c> (or the older <c>DNNL_MAX_CPU_ISA</c>) itself keeps its own.
/// </remarks>
internal static class OneDnnGuard
{
    /// <summary>The variable oneDNN reads for its highest instruction set.</summary>
    public const string Variable = "ONEDNN_MAX_CPU_ISA";

    /// <summary>The older name oneDNN also reads.</summary>
    public const string LegacyVariable = "DNNL_MAX_CPU_ISA";
    private const string CacheFolder = "/sys/devices/system/cpu/cpu0/cache";

    /// <summary>Applies the cap where it is needed; must run before libtorch loads.</summary>
    public static void Apply()
    {
        if (!OperatingSystem.IsLinux() || Directory.Exists(CacheFolder) || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(LegacyVariable)))
            return;
        NativeEnvironment.SetDefault(Variable, "AVX2");
    }
}
