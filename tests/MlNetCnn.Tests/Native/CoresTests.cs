using System.Numerics;
using MlNetCnn.Native;

namespace MlNetCnn.Tests.Native;

public sealed class CoresTests
{
    [Fact]
    public void The_cores_available_are_what_dotnet_counts_for_the_process()
    {
        Assert.Equal(Environment.ProcessorCount, Cores.Available);
        Assert.Contains($"the {Environment.ProcessorCount} core", Cores.AvailableReason);
    }

    [Fact]
    public void The_affinity_count_is_the_processs_affinity_mask()
    {
        var count = Cores.AffinityCount();

        Assert.NotNull(count);
        if (OperatingSystem.IsLinux() && Environment.ProcessorCount <= 64)
            Assert.Equal(BitOperations.PopCount((ulong)System.Diagnostics.Process.GetCurrentProcess().ProcessorAffinity), count);
    }

    [Theory]
    // libtorch's default (the affinity mask's CPUs) above a cgroup quota of one CPU: lowered to it.
    [InlineData(2, 2, 1, false, 1)]
    // libtorch's default where every core is available: kept.
    [InlineData(2, 2, 2, false, 2)]
    // OMP_NUM_THREADS set: the process chose, kept.
    [InlineData(2, 2, 1, true, 2)]
    // A count the process set itself (not libtorch's default), above or below: kept.
    [InlineData(4, 2, 1, false, 4)]
    [InlineData(1, 2, 2, false, 1)]
    // The affinity mask unknown: kept.
    [InlineData(2, null, 1, false, 2)]
    public void Libtorchs_own_default_is_lowered_to_the_cores_available_and_a_count_the_process_chose_is_kept(int current, int? affinity, int available, bool openMpSet, int expected)
    {
        Assert.Equal(expected, Cores.LibTorchDefault(current, affinity, available, openMpSet));
    }

    [Fact]
    public void Asked_for_threads_are_set_for_libtorch_and_reported()
    {
        var before = TorchSharp.torch.get_num_threads();
        try
        {
            Assert.Equal(1, Cores.UseForLibTorch(1));
            Assert.Equal(1, TorchSharp.torch.get_num_threads());
        }
        finally
        {
            TorchSharp.torch.set_num_threads(before);
        }
    }
}
