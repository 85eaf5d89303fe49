using System.Runtime.InteropServices;
using Microsoft.ML;
using MlNetCnn.Native;
using MlNetCnn.Tests.Support;

namespace MlNetCnn.Tests.Native;

public sealed partial class TrainingHeapTests
{
    [Fact]
    public void Under_glibc_with_nothing_set_the_thresholds_are_set_and_the_log_says_so()
    {
        var calls = 0;
        var said = TrainingHeap.Apply(_ => null, glibc: true, () => { calls++; return true; });

        Assert.Equal(1, calls);
        Assert.Contains("mmap threshold 32 MiB", said);
        Assert.Contains("trim threshold 256 MiB", said);
        Assert.Contains("MLNETCNN_MALLOC=default", said);
    }

    [Theory]
    [InlineData("MALLOC_MMAP_THRESHOLD_")]
    [InlineData("MALLOC_TRIM_THRESHOLD_")]
    [InlineData("MALLOC_TOP_PAD_")]
    [InlineData("MALLOC_MMAP_MAX_")]
    public void A_process_that_sets_a_malloc_threshold_keeps_its_own(string variable)
    {
        var said = TrainingHeap.Apply(v => v == variable ? "131072" : null, glibc: true, () => throw new InvalidOperationException("must not set"));

        Assert.Equal($"Memory: the process's own malloc thresholds ({variable} is set).", said);
    }

    [Fact]
    public void Malloc_tunables_and_the_opt_out_keep_glibcs_thresholds()
    {
        Func<bool> never = () => throw new InvalidOperationException("must not set");

        Assert.Contains("GLIBC_TUNABLES", TrainingHeap.Apply(v => v == "GLIBC_TUNABLES" ? "glibc.malloc.trim_threshold=0" : null, true, never));
        Assert.Contains("MLNETCNN_MALLOC=default", TrainingHeap.Apply(v => v == TrainingHeap.OptOutVariable ? "Default" : null, true, never));
        // Tunables of other parts of glibc say nothing about malloc.
        Assert.Contains("mmap threshold", TrainingHeap.Apply(v => v == "GLIBC_TUNABLES" ? "glibc.cpu.hwcaps=-AVX2" : null, true, () => true));
    }

    [Fact]
    public void Another_C_library_is_left_alone_and_a_refusal_is_reported()
    {
        Assert.Null(TrainingHeap.Apply(_ => null, glibc: false, () => throw new InvalidOperationException("must not set")));
        Assert.Equal("Memory: glibc's malloc refused MlNetCnn's thresholds; its own stay.", TrainingHeap.Apply(_ => null, true, () => false));
    }

    [Fact]
    public void With_the_thresholds_set_a_block_of_megabytes_comes_from_the_heap_not_a_new_mapping()
    {
        const int block = 24 << 20;
        // The control: at glibc's starting threshold such a block is mapped afresh (hblks counts live mappings).
        Assert.Equal(1, mallopt(-3, 128 << 10));
        Assert.Equal(1, NewMappings(block));

        Assert.True(TrainingHeap.SetThresholds());

        Assert.Equal(0, NewMappings(block));
    }

    [Fact]
    public void Fit_says_which_malloc_thresholds_it_trains_under()
    {
        var ml = new MLContext(seed: 1);
        var log = new LogCapture(ml);

        new CnnEstimator(ml, SyntheticImages.FastOptions(1)).Fit(SyntheticImages.DataView(ml, 40, 1)).Dispose();

        // Once per process, whichever Fit comes first: every Fit says what it trains under.
        Assert.Contains(TrainingHeap.ApplyOnce()!, log.Infos);
    }

    private static long NewMappings(int size)
    {
        var before = mallinfo2().hblks;
        var block = Marshal.AllocHGlobal(size);
        try
        {
            return (long)mallinfo2().hblks - (long)before;
        }
        finally
        {
            Marshal.FreeHGlobal(block);
        }
    }

    /// <summary>glibc's <c>struct mallinfo2</c> (2.33 on): every field a size_t.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct MallInfo2
    {
        public nuint arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost;
    }

    [LibraryImport("libc")]
    private static partial MallInfo2 mallinfo2();

    [LibraryImport("libc")]
    private static partial int mallopt(int parameter, int value);
}
