using Microsoft.ML;
using MlNetCnn.Tests.Support;

namespace MlNetCnn.Tests.Data;

public sealed class StreamingTests
{
    private readonly MLContext ml = new(seed: 1);

    private (float[] Scores, double[] Losses) Train(bool cache, long budget, double validationFraction = 0)
    {
        var options = SyntheticImages.FastOptions(epochs: 2);
        options.CacheImages = cache;
        options.StreamingMemoryBytes = budget;
        options.ValidationFraction = validationFraction;
        options.RandomHorizontalFlip = true;
        using var t = new CnnEstimator(ml, options).Fit(SyntheticImages.DataView(ml, 150, 1));
        return (Scores.Column(t.Transform(SyntheticImages.DataView(ml, 20, 2))), t.Report.History.Select(h => h.Validation?.Loss ?? h.TrainingLoss).ToArray());
    }

    [Fact]
    public void Streamed_epochs_in_many_small_chunks_train_exactly_as_cached_ones()
    {
        // 1×36×36 floats are 5,184 bytes a row: a 300 kB budget makes chunks of one 16-row batch, so 10 passes an epoch.
        var cached = Train(cache: true, budget: CnnOptions.DefaultStreamingMemoryBytes);
        var streamed = Train(cache: false, budget: 300_000);

        Assert.Equal(cached.Losses, streamed.Losses);
        Assert.Equal(cached.Scores, streamed.Scores);
    }

    [Fact]
    public void A_held_out_validation_share_is_the_same_rows_streamed_or_cached()
    {
        var cached = Train(cache: true, budget: CnnOptions.DefaultStreamingMemoryBytes, validationFraction: 0.2);
        var streamed = Train(cache: false, budget: 300_000, validationFraction: 0.2);

        Assert.Equal(cached.Losses, streamed.Losses);
    }

    [Fact]
    public void Threads_sets_libtorchs_intra_op_threads()
    {
        var before = TorchSharp.torch.get_num_threads();
        try
        {
            var options = SyntheticImages.FastOptions(epochs: 1);
            options.Threads = 1;
            using (new CnnEstimator(ml, options).Fit(SyntheticImages.DataView(ml, 32, 1))) { }
            Assert.Equal(1, TorchSharp.torch.get_num_threads());
        }
        finally
        {
            TorchSharp.torch.set_num_threads(before);
        }
    }
}
