using MlNetCnn.Native;
using MlNetCnn.Precisions;
using MlNetCnn.Tests.Cli;

namespace MlNetCnn.Tests.Precisions;

/// <summary>
/// Precision BFloat16 as a user asks for it, with nothing else set, in a fresh process (the CLI's <c>train</c>, which
/// leaves oneDNN's cap to the library): it gets bfloat16 kernels, shown by oneDNN's own log, or a clear error. This
/// test process keeps MlNetCnn's cap (Support/TestProcess), so the lift is tested here, in children.
/// </summary>
public sealed class AutomaticLiftTests : IDisposable
{
    // Where Linux lists the cache sizes; MlNetCnn caps oneDNN where it is missing (Native/OneDnnGuard).
    private const string CacheFolder = "/sys/devices/system/cpu/cpu0/cache";
    private static readonly string[] IsaVariables = ["ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA"];
    private readonly CliTempFolder temp = new();

    [Fact]
    public async Task Asked_for_BFloat16_a_fresh_process_trains_on_oneDNNs_bfloat16_kernels()
    {
        var train = TinyImageFolder.Write(temp["train"], TinyModelFixture.TrainPerClass, seed: 1);
        var valid = TinyImageFolder.Write(temp["valid"], TinyModelFixture.ValidPerClass, seed: 2);

        // The child would otherwise inherit this process's cap as its own; ONEDNN_VERBOSE names every kernel oneDNN runs.
        using var cli = CliProcess.StartWith(IsaVariables, new Dictionary<string, string> { ["ONEDNN_VERBOSE"] = "1" },
            TinyModelFixture.TrainArgs(train, valid, temp["out"], "--precision", "BFloat16"));
        var run = await cli.WaitAsync(TimeSpan.FromMinutes(3));

        run.Succeeded();
        var said = Assert.Single(run.Out.Split('\n'), l => l.StartsWith("Precision BFloat16", StringComparison.Ordinal));
        if (!BFloat16Support.CpuHasBFloat16())
        {
            Assert.Contains("slower than Float32", said);
            return;
        }
        if (!Directory.Exists(CacheFolder))
            Assert.Contains($"lifted from MlNetCnn's cap at {OneDnnGuard.Capped}", said);
        // e.g. onednn_verbose,v1,primitive,exec,cpu,convolution,jit_bf16:avx512_core_bf16,forward_training,src:bf16:...
        var bfloat16Convolutions = run.Out.Split('\n')
            .Where(l => l.StartsWith("onednn_verbose", StringComparison.Ordinal) && l.Contains(",exec,", StringComparison.Ordinal) && l.Contains(",convolution,", StringComparison.Ordinal))
            .Where(l => l.Contains("src:bf16", StringComparison.Ordinal) && (l.Contains("avx512_core_bf16", StringComparison.Ordinal) || l.Contains("amx", StringComparison.Ordinal)))
            .ToArray();
        Assert.True(bfloat16Convolutions.Length > 0,
            $"oneDNN ran no bfloat16 convolution kernel; its log:\n{string.Join("\n", run.Out.Split('\n').Where(l => l.StartsWith("onednn_verbose", StringComparison.Ordinal)).Take(20))}");
    }

    [Fact]
    public async Task Asked_for_BFloat16_with_channel_counts_the_lifted_level_computes_wrong_a_fresh_process_is_refused_clearly()
    {
        if (!BFloat16Support.CpuHasBFloat16() || Directory.Exists(CacheFolder))
            return; // MlNetCnn caps oneDNN only where the machine hides its cache sizes, and only a bfloat16 CPU is lifted.
        var train = TinyImageFolder.Write(temp["train"], TinyModelFixture.TrainPerClass, seed: 1);
        var valid = TinyImageFolder.Write(temp["valid"], TinyModelFixture.ValidPerClass, seed: 2);
        var args = TinyModelFixture.TrainArgs(train, valid, temp["out"], "--precision", "BFloat16").Select(a => a == "16" ? "20" : a).ToArray();

        using var cli = CliProcess.StartWithout(IsaVariables, args);
        var run = await cli.WaitAsync(TimeSpan.FromMinutes(3));

        Assert.True(run.ExitCode != 0, run.Out);
        Assert.Contains("Conv2d(1→20)", run.Error);
        Assert.Contains("multiples of 16", run.Error);
        Assert.Contains("Train in Float32", run.Error);
    }

    public void Dispose() => temp.Dispose();
}
