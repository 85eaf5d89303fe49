using Microsoft.ML;
using MlNetCnn.Tests.Onnx;
using MlNetCnn.Tests.Support;

namespace MlNetCnn.Tests.Scoring;

/// <summary>
/// Scoring threads by default: the cores the process may run on, for both engines (ONNX Runtime's own default, one per
/// physical core as it reads the topology, was one thread on a 2-vCPU VM). The count used is readable and logged.
/// </summary>
public sealed class ScoringThreadsTests : IClassFixture<ShippedImagesModel>
{
    private readonly ShippedImagesModel m;

    public ScoringThreadsTests(ShippedImagesModel m) => this.m = m;

    [Fact]
    public void By_default_Onnx_Runtime_scores_on_every_core_the_process_may_run_on_and_says_so()
    {
        using var folder = new TempFolder();
        var path = folder.File("model.zip");
        m.Ml.Model.Save(m.Pipeline, m.ValidRows.Schema, path);
        var ml = new MLContext();
        var log = new LogCapture(ml);

        var loaded = ml.Model.Load(path, out _);
        _ = Scores.Column(loaded.Transform(m.ValidRows));
        var cnn = loaded.FindCnn();

        Assert.Null(cnn.ScoringThreads);
        Assert.Equal(Environment.ProcessorCount, cnn.ActiveScoringThreads);
        var threads = Environment.ProcessorCount == 1 ? "1 intra-op thread" : $"{Environment.ProcessorCount} intra-op threads";
        Assert.Contains(log.Infos, l => l.StartsWith($"Scoring with OnnxRuntime on {threads} (the {Environment.ProcessorCount} core", StringComparison.Ordinal));
        (loaded as IDisposable)?.Dispose();
    }

    [Fact]
    public void ScoringThreads_overrides_the_default_for_both_engines()
    {
        using var onnx = m.Cnn.WithScoringEngine(ScoringEngine.OnnxRuntime, 1);
        Assert.Equal(1, onnx.ActiveScoringThreads);
        var before = TorchSharp.torch.get_num_threads();
        try
        {
            using var libTorch = m.Cnn.WithScoringEngine(ScoringEngine.LibTorch, 1);
            Assert.Equal(1, libTorch.ActiveScoringThreads);
            Assert.Equal(1, TorchSharp.torch.get_num_threads());
        }
        finally
        {
            TorchSharp.torch.set_num_threads(before);
        }
    }

    [Theory]
    [InlineData(ScoringEngine.OnnxRuntime)]
    [InlineData(ScoringEngine.LibTorch)]
    public void A_process_allowed_fewer_cores_scores_on_that_many(ScoringEngine engine)
    {
        using var folder = new TempFolder();
        var path = folder.File("model.zip");
        using var cnn = m.Cnn.WithScoringEngine(engine);
        m.Ml.Model.Save(cnn, m.Features.Schema, path);
        var features = m.ValidFeatures.Take(4).SelectMany(f => f).ToArray();

        // .NET counts one core where a cgroup CPU quota of one CPU applies (measured); DOTNET_PROCESSOR_COUNT says the
        // same without one. libtorch's own default counts the affinity mask, and is lowered to it.
        var threads = ScoringProbe.ActiveThreadsOnFeatures(path, features, new Dictionary<string, string?> { ["DOTNET_PROCESSOR_COUNT"] = "1" });

        Assert.Equal(1, threads);
        Assert.Equal(Environment.ProcessorCount, ScoringProbe.ActiveThreadsOnFeatures(path, features, new Dictionary<string, string?>()));
    }
}
