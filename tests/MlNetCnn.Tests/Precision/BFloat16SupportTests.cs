using MlNetCnn.Native;
using MlNetCnn.Precisions;

namespace MlNetCnn.Tests.Precisions;

public sealed class BFloat16SupportTests
{
    // Abridged /proc/cpuinfo of the machines in question: the flags line is what counts.
    private const string Zen5 = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC\n" +
        "flags\t\t: fpu sse2 avx2 fma avx512f avx512dq avx512bw avx512vl avx_vnni avx512_bf16 avx512_vnni\n\nprocessor\t: 1\n";
    private const string SapphireRapids = "model name\t: Intel(R) Xeon(R) Platinum 8480+\nflags\t\t: avx2 avx512f avx512_bf16 amx_bf16 amx_tile amx_int8\n";
    private const string Skylake = "model name\t: Intel(R) Xeon(R) Gold 6148\nflags\t\t: avx2 fma avx512f avx512dq avx512bw avx512vl\n";

    [Fact]
    public void A_cpu_with_avx512_bf16_and_no_onednn_cap_is_native()
    {
        var verdict = BFloat16Support.Judge(Zen5, oneDnnCap: null);
        Assert.True(verdict.Native);
        Assert.Contains("avx512_bf16", verdict.Reason);
    }

    [Theory]
    [InlineData("AVX512_CORE_BF16")]
    [InlineData("avx512_core_amx")]
    [InlineData("ALL")]
    public void A_onednn_cap_at_or_above_its_bfloat16_kernels_keeps_them(string cap)
    {
        Assert.True(BFloat16Support.Judge(SapphireRapids, cap).Native);
    }

    [Theory]
    [InlineData("AVX2")]
    [InlineData("AVX512_CORE")]
    [InlineData("AVX512_CORE_VNNI")]
    public void A_onednn_cap_below_its_bfloat16_kernels_is_not_native_and_says_how_to_lift_it(string cap)
    {
        var verdict = BFloat16Support.Judge(Zen5, cap);
        Assert.False(verdict.Native);
        Assert.Contains($"capped at {cap}", verdict.Reason);
        Assert.Contains("ONEDNN_MAX_CPU_ISA=AVX512_CORE_BF16", verdict.Reason);
    }

    [Fact]
    public void A_cpu_without_bfloat16_flags_is_not_native()
    {
        var verdict = BFloat16Support.Judge(Skylake, oneDnnCap: null);
        Assert.False(verdict.Native);
        Assert.Contains("no bfloat16 instructions", verdict.Reason);
        Assert.False(BFloat16Support.Judge(null, null).Native);
        // A flag named in another line (a model name, a bug list) is not a flag.
        Assert.False(BFloat16Support.Judge("model name\t: avx512_bf16 edition\nflags\t\t: avx2\n", null).Native);
    }
}
