using System.Runtime.InteropServices;

namespace MlNetCnn.Native;

/// <summary>
/// Keeps glibc's malloc from mapping fresh memory for a training step's large tensors every step: once training
/// starts, blocks of up to 32 MiB come from its heap, and the heap keeps up to 256 MiB of free memory at its top.
/// </summary>
/// <remarks>
/// glibc serves a block above its mmap threshold (128 KiB at first; it rises, up to 32 MiB, as such blocks are freed)
/// with a fresh mapping, and gives back the top of its heap beyond its trim threshold. libtorch allocates and frees a
/// step's activations and gradients, megabytes each, every step, so each step paid for mapping, zeroing and unmapping
/// them. Measured on a 2-vCPU Zen 5 VM, the benchmark's pipeline Fit at 64×64 (batch 32, 512 images): bfloat16 156
/// images/s under glibc's defaults, 232–296 with an mmap threshold of 32 MiB and a trim threshold of 64 MiB–1 GiB;
/// float32 76–100 against 133. Peak resident memory stayed within 476–504 MB either way. Raising the trim threshold
/// alone made it worse (52–56): setting either threshold ends glibc's own adjustment, so both are set. The setting is
/// the process's, and stays after training; a process that sets glibc's malloc thresholds itself keeps its own.
/// </remarks>
internal static partial class TrainingHeap
{
    /// <summary>The variable that, set to <c>default</c>, keeps glibc's own malloc thresholds.</summary>
    public const string OptOutVariable = "MLNETCNN_MALLOC";

    /// <summary>Blocks up to this size come from the heap (glibc's own ceiling for its adjusted threshold on 64-bit).</summary>
    public const int MmapThreshold = 32 << 20;

    /// <summary>The free memory the heap keeps at its top before it gives any back.</summary>
    public const int TrimThreshold = 256 << 20;

    // glibc's malloc.h.
    private const int MallocTrimThreshold = -1;
    private const int MallocMmapThreshold = -3;

    /// <summary>glibc's variables for the thresholds this sets (and the two beside them); any one set keeps the process's own.</summary>
    internal static readonly string[] GlibcVariables = { "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "MALLOC_MMAP_MAX_" };

    private static readonly Lazy<string?> Outcome = new(() => Apply(Environment.GetEnvironmentVariable, IsGlibc(), SetThresholds), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Applies the setting once per process (later calls return the first's answer); one sentence for the log, or null where glibc is not the C library.</summary>
    public static string? ApplyOnce() => Outcome.Value;

    /// <summary>
    /// Applies the setting through <paramref name="set"/> unless <paramref name="variable"/> shows the process chose
    /// its own; what happened, for the log (null when <paramref name="glibc"/> is false: nothing to say).
    /// </summary>
    internal static string? Apply(Func<string, string?> variable, bool glibc, Func<bool> set)
    {
        if (!glibc)
            return null;
        if (string.Equals(variable(OptOutVariable), "default", StringComparison.OrdinalIgnoreCase))
            return $"Memory: glibc's own malloc thresholds ({OptOutVariable}=default).";
        if (GlibcVariables.FirstOrDefault(v => !string.IsNullOrEmpty(variable(v))) is { } own)
            return $"Memory: the process's own malloc thresholds ({own} is set).";
        if (variable("GLIBC_TUNABLES") is { } tunables && tunables.Contains("glibc.malloc.", StringComparison.Ordinal))
            return "Memory: the process's own malloc tunables (GLIBC_TUNABLES).";
        return set()
            ? $"Memory: glibc's malloc keeps a step's tensors in its heap (mmap threshold {MmapThreshold >> 20} MiB, trim threshold {TrimThreshold >> 20} MiB, " +
              $"for the rest of the process; {OptOutVariable}=default keeps glibc's own)."
            : "Memory: glibc's malloc refused MlNetCnn's thresholds; its own stay.";
    }

    /// <summary>Sets both thresholds; whether glibc took them.</summary>
    internal static bool SetThresholds()
    {
        try
        {
            return mallopt(MallocMmapThreshold, MmapThreshold) == 1 && mallopt(MallocTrimThreshold, TrimThreshold) == 1;
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
    }

    private static bool IsGlibc()
    {
        if (!OperatingSystem.IsLinux())
            return false;
        try
        {
            return gnu_get_libc_version() != IntPtr.Zero;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return false; // musl and other C libraries: their malloc works differently, and is left alone.
        }
    }

    [LibraryImport("libc")]
    private static partial int mallopt(int parameter, int value);

    [LibraryImport("libc")]
    private static partial IntPtr gnu_get_libc_version();
}
