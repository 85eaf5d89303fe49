using System.Runtime.InteropServices;

namespace MlNetCnn.Native;

/// <summary>
/// While training runs, keeps glibc's malloc from mapping fresh memory for a step's tensors every step: every block
/// comes from its heap, and the heap keeps up to 1 GiB free at its top. When the last training of the process ends,
/// glibc's defaults come back and the free memory is given back to the system.
/// </summary>
/// <remarks>
/// glibc serves a block above its mmap threshold (128 KiB at first; it rises, up to 32 MiB, as such blocks are freed)
/// with a fresh mapping, and gives back the top of its heap beyond its trim threshold. libtorch allocates and frees a
/// step's activations and gradients, megabytes each, every step, so each step paid for mapping, zeroing and unmapping
/// them. Measured on a 2-vCPU Zen 5 VM, the benchmark's BFloat16 Fit: at 64×64 (batch 32, 512 images) 156 images/s
/// under glibc's defaults, 232–296 with an mmap threshold of 32 MiB and a trim threshold of 64 MiB–1 GiB, 278 with
/// no mappings; at 244×244, whose largest blocks are over 32 MiB, 2.3–3.0 under glibc's defaults and 9.0–10.8 with no
/// mappings and a 1 GiB trim threshold (6.0–8.1 at 256 MiB). Peak resident memory rose from 3.5 to 5.1–5.3 GB there
/// (458 to 515 MB at 64×64): blocks freed in the heap are reused, not returned, until training ends. Raising only
/// the trim threshold made it worse (52–56 images/s at 64×64): setting a threshold ends glibc's own adjustment.
/// </remarks>
internal static partial class TrainingHeap
{
    /// <summary>The variable that, set to <c>default</c>, keeps glibc's own malloc settings.</summary>
    public const string OptOutVariable = "MLNETCNN_MALLOC";

    /// <summary>The free memory the heap keeps at its top during training before it gives any back.</summary>
    public const int TrimThreshold = 1 << 30;

    // glibc's malloc.h, and its defaults for the two settings changed.
    private const int MallocTrimThreshold = -1;
    private const int MallocMmapMax = -4;
    private const int GlibcTrimThreshold = 128 << 10;
    private const int GlibcMmapMax = 65536;

    /// <summary>glibc's variables for its malloc settings; any one set keeps the process's own.</summary>
    internal static readonly string[] GlibcVariables = { "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "MALLOC_MMAP_MAX_" };

    /// <summary>What <see cref="Enter"/> logs when the policy is in force.</summary>
    public static readonly string Applied =
        $"Memory: during training glibc's malloc takes every block from its heap and keeps up to {TrimThreshold >> 20} MiB free at its top; " +
        $"its defaults come back, and the free memory is given back, when training ends ({OptOutVariable}=default keeps glibc's own).";

    private static readonly Lazy<string?> Declined = new(() => Decline(Environment.GetEnvironmentVariable, IsGlibc()), LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly object Gate = new();
    private static int trainings;
    private static bool inForce;

    /// <summary>
    /// Starts the policy for one training (the first of concurrent ones sets it); the sentence for the log (null where
    /// glibc is not the C library) and the scope whose Dispose, for the last training, restores glibc's defaults.
    /// </summary>
    public static (IDisposable Scope, string? Said) Enter()
    {
        if (Declined.Value is { } declined)
            return (new Scope(counted: false), declined.Length == 0 ? null : declined);
        lock (Gate)
        {
            if (trainings++ == 0)
                inForce = SetPolicy();
            return (new Scope(counted: true), inForce ? Applied : "Memory: glibc's malloc refused MlNetCnn's training settings; its own stay.");
        }
    }

    /// <summary>
    /// Null when MlNetCnn may set its policy; else why not, for the log ("" where <paramref name="glibc"/> is false:
    /// another C library, nothing to say). <paramref name="variable"/> reads the process's environment.
    /// </summary>
    internal static string? Decline(Func<string, string?> variable, bool glibc)
    {
        if (!glibc)
            return "";
        if (string.Equals(variable(OptOutVariable), "default", StringComparison.OrdinalIgnoreCase))
            return $"Memory: glibc's own malloc settings ({OptOutVariable}=default).";
        if (GlibcVariables.FirstOrDefault(v => !string.IsNullOrEmpty(variable(v))) is { } own)
            return $"Memory: the process's own malloc settings ({own} is set).";
        if (variable("GLIBC_TUNABLES") is { } tunables && tunables.Contains("glibc.malloc.", StringComparison.Ordinal))
            return "Memory: the process's own malloc tunables (GLIBC_TUNABLES).";
        return null;
    }

    /// <summary>No mappings, a 1 GiB trim threshold; whether glibc took both.</summary>
    internal static bool SetPolicy() => Set(MallocMmapMax, 0) && Set(MallocTrimThreshold, TrimThreshold);

    /// <summary>glibc's defaults for the two, then the free memory back to the system; whether glibc took them.</summary>
    internal static bool Restore()
    {
        var restored = Set(MallocMmapMax, GlibcMmapMax) && Set(MallocTrimThreshold, GlibcTrimThreshold);
        try
        {
            malloc_trim(0);
        }
        catch (EntryPointNotFoundException)
        {
            // Not glibc after all: nothing was set.
        }
        return restored;
    }

    private static bool Set(int parameter, int value)
    {
        try
        {
            return mallopt(parameter, value) == 1;
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

    private sealed class Scope(bool counted) : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (!counted || Interlocked.Exchange(ref disposed, 1) == 1)
                return;
            lock (Gate)
            {
                if (--trainings == 0 && inForce)
                {
                    Restore();
                    inForce = false;
                }
            }
        }
    }

    [LibraryImport("libc")]
    private static partial int mallopt(int parameter, int value);

    [LibraryImport("libc")]
    private static partial int malloc_trim(nuint pad);

    [LibraryImport("libc")]
    private static partial IntPtr gnu_get_libc_version();
}
