using MlNetCnn.Training;
using MlNetCnn.Native;
using MlNetCnn.Network;
namespace MlNetCnn.Precisions;

/// <summary>
/// Whether this machine computes bfloat16 natively: the CPU's instruction-set flags and oneDNN's instruction-set cap,
/// both read at run time.
/// </summary>
/// <remarks>
/// libtorch runs bfloat16 convolutions and matrix products through oneDNN, whose bfloat16 kernels need AVX512_BF16
/// (or AMX). Without them, or with oneDNN capped below them (<see cref="OneDnnGuard"/> caps it at AVX2 on machines
/// that hide their cache sizes), bfloat16 falls back to reference code: measured on a 2-vCPU Zen 5 VM at the AVX2
/// cap, a 64→64 5×5 convolution ran forward and backward at 7.5 GFLOP/s in bfloat16 against 85 in float32.
/// </remarks>
internal static class BFloat16Support
{
    /// <summary>Where Linux lists the CPU's flags.</summary>
    public const string CpuInfoPath = "/proc/cpuinfo";

    /// <summary>The bfloat16 instruction sets oneDNN has kernels for, as /proc/cpuinfo names them.</summary>
    private static readonly string[] NativeFlags = { "avx512_bf16", "amx_bf16" };

    /// <summary>oneDNN's <c>ONEDNN_MAX_CPU_ISA</c> values from the first with bfloat16 kernels up; any other value caps them off.</summary>
    private static readonly string[] BFloat16Isas =
    {
        "AVX512_CORE_BF16", "AVX10_1_512", "AVX512_CORE_FP16", "AVX10_1_512_AMX", "AVX512_CORE_AMX", "AVX10_1_512_AMX_FP16",
        "AVX512_CORE_AMX_FP16", "AVX10_2_512", "AVX10_2_512_AMX_2", "ALL", "DEFAULT",
    };

    /// <summary>What was found: whether bfloat16 is native here, and the facts that decided it, for the log.</summary>
    public readonly record struct Verdict(bool Native, string Reason);

    /// <summary>This machine's verdict: /proc/cpuinfo and the process's oneDNN cap (saying so where MlNetCnn lifted its own).</summary>
    public static Verdict Current()
    {
        var verdict = Judge(ReadCpuInfo(), OneDnnCap());
        return verdict.Native && OneDnnGuard.Lifted ? verdict with { Reason = $"{verdict.Reason}, lifted from MlNetCnn's cap at {OneDnnGuard.Capped} for this process" } : verdict;
    }

    /// <summary>Whether the CPU has bfloat16 instructions oneDNN has kernels for, whatever oneDNN's cap.</summary>
    public static bool CpuHasBFloat16() => NativeFlags.Any(Flags(ReadCpuInfo()).Contains);

    private static string? ReadCpuInfo()
    {
        try
        {
            return OperatingSystem.IsLinux() ? File.ReadAllText(CpuInfoPath) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // Unreadable: judged as a CPU without the flags.
        }
    }

    /// <summary>
    /// The verdict for a CPU described by <paramref name="cpuInfo"/> (the text of /proc/cpuinfo; null when unknown)
    /// under oneDNN cap <paramref name="oneDnnCap"/> (null or empty for none).
    /// </summary>
    public static Verdict Judge(string? cpuInfo, string? oneDnnCap)
    {
        var flags = Flags(cpuInfo);
        var flag = NativeFlags.FirstOrDefault(flags.Contains);
        if (flag is null)
            return new(false, cpuInfo is null
                ? "the CPU's flags could not be read (/proc/cpuinfo)"
                : $"the CPU has no bfloat16 instructions ({string.Join(" or ", NativeFlags)} is not among its flags in /proc/cpuinfo)");
        if (!string.IsNullOrEmpty(oneDnnCap) && !BFloat16Isas.Contains(oneDnnCap.Trim(), StringComparer.OrdinalIgnoreCase))
            return new(false,
                $"the CPU has {flag}, but oneDNN is capped at {oneDnnCap} ({OneDnnGuard.Variable}), below its bfloat16 kernels " +
                $"(MlNetCnn sets that cap on machines that hide their cache sizes; call TorchRuntime.AllowBFloat16Kernels() before the first Fit, or start the process with " +
                $"{OneDnnGuard.Variable}={OneDnnGuard.BFloat16Level}, to allow them)");
        return new(true, $"the CPU has {flag}{(string.IsNullOrEmpty(oneDnnCap) ? "" : $" and oneDNN may use it ({OneDnnGuard.Variable}={oneDnnCap})")}");
    }

    /// <summary>The cap oneDNN will read, as this process has it; null for none.</summary>
    public static string? OneDnnCap() =>
        Environment.GetEnvironmentVariable(OneDnnGuard.Variable) is { Length: > 0 } cap ? cap
        : Environment.GetEnvironmentVariable(OneDnnGuard.LegacyVariable) is { Length: > 0 } legacy ? legacy
        : null;

    /// <summary>The flags of the first <c>flags</c> line (x86 Linux lists every core's; they are the same).</summary>
    private static HashSet<string> Flags(string? cpuInfo)
    {
        foreach (var line in (cpuInfo ?? "").Split('\n'))
        {
            var colon = line.IndexOf(':');
            if (colon > 0 && line[..colon].Trim() == "flags")
                return line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
        }
        return new HashSet<string>(StringComparer.Ordinal);
    }
}
