using System.Runtime.InteropServices;
using Microsoft.ML;
using MlNetCnn.Native;
using MlNetCnn.Tests.Support;

namespace MlNetCnn.Tests.Native;

/// <summary>The process's malloc settings are one for all: these tests run alone, while no other test trains.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessHeapCollection
{
    public const string Name = "The process's heap";
}

[Collection(ProcessHeapCollection.Name)]
public sealed partial class TrainingHeapTests
{
    // Over glibc's highest own mmap threshold (32 MiB), under the largest heap of a thread's own arena (64 MiB), which
    // maps a larger block whatever the settings.
    private const int LargeBlock = 48 << 20;

    [Fact]
    public void Under_glibc_with_nothing_set_MlNetCnn_may_set_its_policy()
    {
        Assert.Null(TrainingHeap.Decline(_ => null, glibc: true));
        // Tunables of other parts of glibc say nothing about malloc.
        Assert.Null(TrainingHeap.Decline(v => v == "GLIBC_TUNABLES" ? "glibc.cpu.hwcaps=-AVX2" : null, glibc: true));
    }

    [Theory]
    [InlineData("MALLOC_MMAP_THRESHOLD_")]
    [InlineData("MALLOC_TRIM_THRESHOLD_")]
    [InlineData("MALLOC_TOP_PAD_")]
    [InlineData("MALLOC_MMAP_MAX_")]
    public void A_process_that_sets_a_malloc_setting_keeps_its_own(string variable)
    {
        Assert.Equal($"Memory: the process's own malloc settings ({variable} is set).", TrainingHeap.Decline(v => v == variable ? "131072" : null, glibc: true));
    }

    [Fact]
    public void Malloc_tunables_the_opt_out_and_another_C_library_keep_their_own()
    {
        Assert.Contains("GLIBC_TUNABLES", TrainingHeap.Decline(v => v == "GLIBC_TUNABLES" ? "glibc.malloc.trim_threshold=0" : null, true));
        Assert.Contains("MLNETCNN_MALLOC=default", TrainingHeap.Decline(v => v == TrainingHeap.OptOutVariable ? "Default" : null, true));
        Assert.Equal("", TrainingHeap.Decline(_ => null, glibc: false));
    }

    [Fact]
    public void Under_the_policy_a_large_block_comes_from_the_heap_and_after_it_from_a_new_mapping_again()
    {
        Assert.True(TrainingHeap.Restore());
        // The control: glibc's defaults map such blocks afresh once the heap's free holes of that size are used up (a
        // test before may leave one or two: a pretrained backbone's fit did), so of eight, some are mapped.
        Assert.True(NewMappings(LargeBlock, count: 8) >= 1);

        Assert.True(TrainingHeap.SetPolicy());
        Assert.Equal(0, NewMappings(LargeBlock, count: 3));

        // The heap now holds a free block or two of that size, which glibc reuses first; more than it holds are mapped again.
        Assert.True(TrainingHeap.Restore());
        Assert.True(NewMappings(LargeBlock, count: 8) >= 2);
    }

    [Fact]
    public void Fit_says_which_malloc_settings_it_trains_under_and_restores_glibcs_when_it_ends()
    {
        AssertThisProcessLeavesMallocToMlNetCnn();
        var ml = new MLContext(seed: 1);
        var log = new LogCapture(ml);
        long? inTraining = null;
        var options = SyntheticImages.FastOptions(1);
        options.Callbacks.Add(new OnFirstBatch(() => inTraining = NewMappings(LargeBlock)));

        new CnnEstimator(ml, options).Fit(SyntheticImages.DataView(ml, 40, 1)).Dispose();

        Assert.Contains(TrainingHeap.Applied, log.Infos);
        Assert.Equal(0, inTraining);
        Assert.True(NewMappings(LargeBlock, count: 4) >= 2);
    }

    [Fact]
    public async Task Of_two_concurrent_fits_the_first_to_end_leaves_the_policy_to_the_other_and_the_last_restores_glibcs()
    {
        AssertThisProcessLeavesMallocToMlNetCnn();
        var timeout = TimeSpan.FromMinutes(2);
        using var firstTraining = new ManualResetEventSlim();
        using var secondEnded = new ManualResetEventSlim();
        long? firstAfterSecondEnded = null;
        var first = SyntheticImages.FastOptions(1);
        // The first Fit holds its first batch until the second Fit, begun and ended meanwhile, has returned.
        first.Callbacks.Add(new OnFirstBatch(() =>
        {
            firstTraining.Set();
            Assert.True(secondEnded.Wait(timeout), "the second Fit did not end");
            firstAfterSecondEnded = NewMappings(LargeBlock);
        }));
        var firstFit = Task.Run(() =>
        {
            var ml = new MLContext(seed: 1);
            new CnnEstimator(ml, first).Fit(SyntheticImages.DataView(ml, 40, 1)).Dispose();
        });
        try
        {
            Assert.True(firstTraining.Wait(timeout), "the first Fit did not reach its first batch");
            var ml = new MLContext(seed: 2);
            long? secondInTraining = null;
            var second = SyntheticImages.FastOptions(1);
            second.Callbacks.Add(new OnFirstBatch(() => secondInTraining = NewMappings(LargeBlock)));
            new CnnEstimator(ml, second).Fit(SyntheticImages.DataView(ml, 40, 2)).Dispose();
            Assert.Equal(0, secondInTraining);
        }
        finally
        {
            secondEnded.Set();
            await firstFit.WaitAsync(timeout);
        }

        // The second Fit's end left the policy in force for the first; the first's end, the last, restored glibc's.
        Assert.Equal(0, firstAfterSecondEnded);
        Assert.True(NewMappings(LargeBlock, count: 4) >= 2);
    }

    /// <summary>
    /// These tests show the policy in force, which a process with its own malloc settings keeps out: such a process
    /// fails them saying so, rather than passing them without showing anything.
    /// </summary>
    private static void AssertThisProcessLeavesMallocToMlNetCnn()
    {
        var own = TrainingHeap.Decline(Environment.GetEnvironmentVariable, glibc: true);
        Assert.True(own is null, $"This test process keeps its own malloc settings ({own}), so MlNetCnn's policy cannot be shown in it: " +
            $"run the tests without {string.Join(", ", TrainingHeap.GlibcVariables)}, glibc.malloc tunables or {TrainingHeap.OptOutVariable}=default.");
    }

    /// <summary>How many new mappings <paramref name="count"/> blocks of <paramref name="size"/>, held at once, took.</summary>
    private static long NewMappings(int size, int count = 1)
    {
        var before = mallinfo2().hblks;
        var blocks = new List<IntPtr>();
        try
        {
            for (var i = 0; i < count; i++)
                blocks.Add(Marshal.AllocHGlobal(size));
            return (long)mallinfo2().hblks - (long)before;
        }
        finally
        {
            blocks.ForEach(Marshal.FreeHGlobal);
        }
    }

    private sealed class OnFirstBatch(Action action) : ITrainingCallback
    {
        private bool done;

        public void OnBatchEnd(TrainingContext context)
        {
            if (!done)
                action();
            done = true;
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
}
