namespace MlNetCnn.Tests.Support;

/// <summary>The CPU's flags as /proc/cpuinfo lists them, read here rather than through the code under test (BFloat16Support).</summary>
public static class CpuFlags
{
    private static readonly Lazy<HashSet<string>> Flags = new(() =>
    {
        var line = File.Exists("/proc/cpuinfo") ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal)) : null;
        return line is null ? [] : line[(line.IndexOf(':') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
    });

    /// <summary>Whether the CPU has an instruction set oneDNN has bfloat16 kernels for (avx512_bf16 or amx_bf16).</summary>
    public static bool HasBFloat16 => Flags.Value.Contains("avx512_bf16") || Flags.Value.Contains("amx_bf16");
}
