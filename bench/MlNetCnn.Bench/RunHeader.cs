using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace MlNetCnn.Bench;

/// <summary>
/// What a run's table needs to describe itself: when, on which commit, on which CPU with which instruction sets, and
/// which of them libtorch uses.
/// </summary>
internal sealed record RunHeader(DateTime StartedUtc, string Commit, string CpuModel, int LogicalCpus, IReadOnlyList<string> SimdFlags,
    string? TorchCpuCapability, string? TorchBlas, IReadOnlyList<string> IsaOverrides, string LoadAverage, string Command)
{
    // The /proc/cpuinfo flags that decide which FP32 kernels can run, in rising order.
    private static readonly string[] SimdFlagNames = ["fma", "avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile", "amx_bf16"];
    // Environment variables that cap the instruction set libtorch's kernels use.
    // (ONEDNN_MAX_CPU_ISA and OMP_WAIT_POLICY are shown whether the user set them or MlNetCnn's defaults did.)
    private static readonly string[] IsaVariables = ["ATEN_CPU_CAPABILITY", "DNNL_MAX_CPU_ISA", "ONEDNN_MAX_CPU_ISA", "MKL_ENABLE_INSTRUCTIONS", "OMP_WAIT_POLICY"];

    /// <summary>The environment this process was launched with: /proc/self/environ does not see setenv, so what MlNetCnn sets is not in it.</summary>
    public static readonly IReadOnlyDictionary<string, string> LaunchEnvironment = File.Exists("/proc/self/environ")
        ? File.ReadAllText("/proc/self/environ").Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Select(e => e.Split('=', 2)).Where(p => p.Length == 2).GroupBy(p => p[0]).ToDictionary(g => g.Key, g => g.First()[1])
        : new Dictionary<string, string>();

    /// <summary>Reads the machine and the checkout; call once TorchSharp's native libraries are loaded.</summary>
    public static RunHeader Read(string[] args)
    {
        var cpuinfo = File.Exists("/proc/cpuinfo") ? File.ReadAllLines("/proc/cpuinfo") : [];
        string? Field(string name) => cpuinfo.FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal))?.Split(':', 2)[1].Trim();
        var flags = (Field("flags") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        var config = TorchConfig.Show();
        return new RunHeader(
            DateTime.UtcNow, ReadCommit(), Field("model name") ?? "unknown", Environment.ProcessorCount,
            SimdFlagNames.Where(flags.Contains).ToArray(),
            TorchConfig.CpuCapability(),
            config is null ? null : System.Text.RegularExpressions.Regex.Match(config, @"BLAS_INFO=[^,\s]+") is { Success: true } blas ? blas.Value : null,
            IsaVariables.Select(v => (v, Environment.GetEnvironmentVariable(v))).Where(p => p.Item2 is { Length: > 0 }).Select(p => $"{p.v}={p.Item2}").ToArray(),
            ReadLoadAverage(), "dotnet run -c Release --project bench/MlNetCnn.Bench" + (args.Length > 0 ? " -- " + string.Join(' ', args) : ""));
    }

    /// <summary>/proc/loadavg's load (1, 5 and 15 minutes) and its running and total tasks, "0.52 1.10 0.98 (3/412 tasks running)"; or "unknown".</summary>
    public static string ReadLoadAverage()
    {
        if (!File.Exists("/proc/loadavg"))
            return "unknown";
        var fields = File.ReadAllText("/proc/loadavg").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return string.Join(" ", fields.Take(3)) + (fields.Length > 3 ? $" ({fields[3]} tasks running)" : "");
    }

    /// <summary>The header block, as Markdown.</summary>
    public string ToMarkdown(string loadAtEnd)
    {
        var s = new StringBuilder();
        s.AppendLine($"## Run of {StartedUtc.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC");
        s.AppendLine();
        s.AppendLine($"- **Commit:** {Commit}");
        s.AppendLine($"- **Command:** `{Command}`");
        s.AppendLine($"- **CPU:** {CpuModel}, {LogicalCpus} logical CPUs; SIMD flags: {(SimdFlags.Count == 0 ? "none of " + string.Join(", ", SimdFlagNames) : string.Join(", ", SimdFlags))}");
        s.AppendLine($"- **libtorch (TorchSharp):** kernels for {TorchCpuCapability ?? "unknown"} (at::get_cpu_capability), {TorchBlas ?? "BLAS unknown"}; " +
            (IsaOverrides.Count == 0 ? "no instruction-set override in the environment" : "overrides: " + string.Join(", ", IsaOverrides)));
        s.AppendLine($"- **Load average** (1, 5, 15 min; /proc/loadavg): {LoadAverage} at the start, {loadAtEnd} at the end, on {LogicalCpus} logical CPUs: " +
            "a 1-minute load above the CPU count means other work shared them");
        return s.ToString();
    }

    /// <summary><c>git rev-parse --short HEAD</c>, marked when the work tree has changes; "unknown" without git.</summary>
    private static string ReadCommit()
    {
        var head = Git("rev-parse --short HEAD");
        if (head is null)
            return "unknown (no git)";
        var dirty = Git("status --porcelain --untracked-files=no");
        return string.IsNullOrWhiteSpace(dirty) ? head : $"{head} with uncommitted changes";
    }

    private static string? Git(string arguments)
    {
        try
        {
            var start = new ProcessStartInfo("git", arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            using var git = Process.Start(start)!;
            var output = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            return git.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}

/// <summary>libtorch's own account of its build and its kernels, read from libtorch_cpu.so (TorchSharp does not expose it).</summary>
internal static unsafe class TorchConfig
{
    /// <summary><c>at::get_cpu_capability()</c>: the instruction set ATen's CPU kernels were dispatched to ("AVX512", "AVX2", …).</summary>
    public static string? CpuCapability() => StringFunction("_ZN2at18get_cpu_capabilityB5cxx11Ev");

    /// <summary><c>at::show_config()</c>: the build configuration (BLAS, oneDNN, MKL, CPU capability).</summary>
    public static string? Show() => StringFunction("_ZN2at11show_configB5cxx11Ev");

    /// <summary>Calls a C++ function of libtorch_cpu.so that takes nothing and returns a <c>std::string</c>; null where it cannot.</summary>
    private static string? StringFunction(string symbol)
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
            return null;
        var library = File.ReadLines("/proc/self/maps").Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length >= 6 && f[5].EndsWith("/libtorch_cpu.so", StringComparison.Ordinal)).Select(f => f[5]).FirstOrDefault();
        if (library is null || !NativeLibrary.TryLoad(library, out var handle) || !NativeLibrary.TryGetExport(handle, symbol, out var function))
            return null;
        // The x86-64 System V ABI returns a std::string through a hidden first argument: the address of the caller's
        // 32-byte object, which libstdc++ lays out as data pointer, length, 16-byte inline buffer. A result longer than
        // 15 bytes stays on libtorch's heap (once per run).
        var result = stackalloc byte[32];
        ((delegate* unmanaged<byte*, void>)function)(result);
        return Encoding.UTF8.GetString(*(byte**)result, checked((int)*(long*)(result + 8)));
    }
}
