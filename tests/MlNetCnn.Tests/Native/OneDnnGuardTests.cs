using MlNetCnn.Native;

namespace MlNetCnn.Tests.Native;

public sealed class OneDnnGuardTests
{
    private readonly List<(string Name, string Value)> set = new();

    private OneDnnGuard.CapState State() => new((name, value) => set.Add((name, value)));

    [Fact]
    public void The_cap_is_lifted_to_the_first_level_with_bfloat16_kernels_before_any_kernel_ran()
    {
        var state = State();
        state.NoteCapped();

        Assert.True(state.Lift(cpuHasBFloat16: true));
        Assert.True(state.Lifted);
        Assert.Equal(new[] { ("ONEDNN_MAX_CPU_ISA", "AVX512_CORE_BF16") }, set);
        // A second call has nothing more to do.
        Assert.True(state.Lift(cpuHasBFloat16: true));
        Assert.Single(set);
    }

    [Fact]
    public void Once_a_network_ran_under_the_cap_the_lift_is_refused_and_says_when_to_call_it()
    {
        var state = State();
        state.NoteCapped();
        state.NoteKernelsUsed();

        var error = Assert.Throws<InvalidOperationException>(() => state.Lift(cpuHasBFloat16: true));

        Assert.Contains("before the first Fit", error.Message);
        Assert.Contains("ONEDNN_MAX_CPU_ISA=AVX512_CORE_BF16", error.Message);
        Assert.False(state.Lifted);
        Assert.Empty(set);
    }

    [Fact]
    public void Without_a_cap_of_MlNetCnns_or_without_bfloat16_instructions_there_is_nothing_to_lift()
    {
        var uncapped = State();
        uncapped.NoteKernelsUsed();
        Assert.False(uncapped.Lift(cpuHasBFloat16: true)); // the process's own cap, or none: not ours to change, and no error

        var capped = State();
        capped.NoteCapped();
        Assert.False(capped.Lift(cpuHasBFloat16: false));

        Assert.Empty(set);
        Assert.False(uncapped.Lifted || capped.Lifted);
    }
}
