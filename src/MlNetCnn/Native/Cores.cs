using System.Numerics;
using System.Runtime.InteropServices;
using TorchSharp;

namespace MlNetCnn.Native;

/// <summary>
/// How many threads MlNetCnn runs on when it is not told: the cores this process may run on. Training and both scoring
/// engines take their defaults from here.
/// </summary>
/// <remarks>
/// Measured on a 2-vCPU AMD EPYC VM: ONNX Runtime's default intra-op count (one per physical core, as it reads the
/// topology) was 1, which scored at 0.53× a session with 2 threads; libtorch 2.10's default (OpenMP's: the CPUs of the
/// affinity mask) was 2, right there, but it stays 2 under a cgroup CPU quota of one CPU, where .NET counts 1.
/// </remarks>
internal static partial class Cores
{
    /// <summary>The variable OpenMP (and so libtorch) reads for its thread count.</summary>
    public const string OpenMpThreads = "OMP_NUM_THREADS";

    /// <summary>
    /// The cores this process may run on: <see cref="Environment.ProcessorCount"/>, which .NET takes on Linux from the
    /// affinity mask (<c>sched_getaffinity</c>), lowered to a cgroup CPU quota (rounded up), or from
    /// <c>DOTNET_PROCESSOR_COUNT</c> where that is set.
    /// </summary>
    public static int Available => Environment.ProcessorCount;

    /// <summary>Where <see cref="Available"/> comes from, for the log.</summary>
    public static string AvailableReason => $"the {Available} core{(Available == 1 ? "" : "s")} this process may run on";

    /// <summary>ONNX Runtime's intra-op threads: <paramref name="asked"/>, else <see cref="Available"/>.</summary>
    public static int ForOnnxRuntime(int? asked) => asked ?? Available;

    /// <summary>
    /// Sets libtorch's intra-op threads (one count for the whole process) to <paramref name="asked"/> when given;
    /// otherwise leaves the process's count, except where it is still libtorch's own default (the CPUs of the affinity
    /// mask, with no <c>OMP_NUM_THREADS</c>) and that is more than <see cref="Available"/> (a cgroup CPU quota):
    /// then lowers it to <see cref="Available"/>. A count the process chose itself is kept. Returns the count in use.
    /// </summary>
    public static int UseForLibTorch(int? asked)
    {
        if (asked is { } n)
        {
            torch.set_num_threads(n);
            return n;
        }
        var current = torch.get_num_threads();
        var target = LibTorchDefault(current, AffinityCount(), Available, !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(OpenMpThreads)));
        if (target != current)
            torch.set_num_threads(target);
        return target;
    }

    /// <summary>
    /// The rule of <see cref="UseForLibTorch"/> for no count asked: <paramref name="current"/> (libtorch's count now),
    /// lowered to <paramref name="available"/> where it is libtorch's own default, <paramref name="affinity"/> (null
    /// when unknown), with no <c>OMP_NUM_THREADS</c> (<paramref name="openMpSet"/>).
    /// </summary>
    internal static int LibTorchDefault(int current, int? affinity, int available, bool openMpSet) =>
        !openMpSet && current == affinity && current > available ? available : current;

    /// <summary>The CPUs of this process's affinity mask (what OpenMP counts); null where it cannot be read.</summary>
    internal static int? AffinityCount()
    {
        if (!OperatingSystem.IsLinux())
            return null;
        // CPU_SETSIZE (1024) bits, as glibc's cpu_set_t.
        Span<ulong> mask = stackalloc ulong[16];
        unsafe
        {
            fixed (ulong* bits = mask)
            {
                if (sched_getaffinity(0, (nuint)(mask.Length * sizeof(ulong)), bits) != 0)
                    return null;
            }
        }
        var count = 0;
        foreach (var word in mask)
            count += BitOperations.PopCount(word);
        return count;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int sched_getaffinity(int pid, nuint size, ulong* mask);
}
