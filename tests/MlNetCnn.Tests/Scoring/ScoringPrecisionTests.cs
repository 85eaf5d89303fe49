using System.IO.Compression;
using Microsoft.ML;
using MlNetCnn.Persistence;
using MlNetCnn.Tests.Support;

namespace MlNetCnn.Tests.Scoring;

/// <summary>Scoring precision: a model remembers what it trained in, and the LibTorch engine scores in it where the machine can.</summary>
public sealed class ScoringPrecisionTests : IClassFixture<PrecisionModels>
{
    private readonly PrecisionModels m;

    public ScoringPrecisionTests(PrecisionModels m) => this.m = m;

    private string Save(ITransformer model, TempFolder folder)
    {
        var path = folder.File("model.zip");
        m.Ml.Model.Save(model, m.Test.Schema, path);
        return path;
    }

    private static byte[] Entry(string zip, string stream)
    {
        using var archive = ZipFile.OpenRead(zip);
        using var bytes = new MemoryStream();
        archive.Entries.Single(e => e.FullName.EndsWith(stream, StringComparison.Ordinal)).Open().CopyTo(bytes);
        return bytes.ToArray();
    }

    [Fact]
    public void A_bfloat16_fit_saved_and_loaded_reports_bfloat16_as_its_training_precision_in_a_stream_of_its_own()
    {
        Assert.Equal(Precision.BFloat16, m.BFloat16.TrainingPrecision);
        Assert.Equal(Precision.Auto, m.BFloat16.ScoringPrecision);
        using var folder = new TempFolder();
        var path = Save(m.BFloat16, folder);

        using var loaded = Assert.IsType<CnnTransformer>(new MLContext().Model.Load(path, out _));

        Assert.Equal(Precision.BFloat16, loaded.TrainingPrecision);
        Assert.Equal(Precision.Auto, loaded.ScoringPrecision);
        Assert.Equal(new byte[] { 1, 0, 0, 0, 2, 0, 0, 0 }, Entry(path, CnnModelFormat.PrecisionStream));
        // Readers of 0x00010004 to 0x00010008 check CnnScoring's length: it holds the engine and the threads, as before.
        Assert.Equal(2 * sizeof(int), Entry(path, CnnModelFormat.ScoringStream).Length);
    }

    [Fact]
    public void A_float32_fit_saved_and_loaded_reports_float32_and_scores_as_before()
    {
        Assert.Equal(Precision.Float32, m.Float32.TrainingPrecision);
        using var folder = new TempFolder();
        var path = Save(m.Float32, folder);

        using var loaded = Assert.IsType<CnnTransformer>(new MLContext().Model.Load(path, out _));

        Assert.Equal(Precision.Float32, loaded.TrainingPrecision);
        Assert.Equal(Precision.Auto, loaded.ScoringPrecision);
        Assert.Equal(new byte[] { 0, 0, 0, 0, 2, 0, 0, 0 }, Entry(path, CnnModelFormat.PrecisionStream));
        Assert.Equal(Scores.Column(m.Float32.Transform(m.Test)), Scores.Column(loaded.Transform(m.Test)));
    }

    [Fact]
    public void A_model_saved_before_the_precision_stream_reports_float32()
    {
        using var folder = new TempFolder();
        var path = Save(m.BFloat16, folder);
        // Format 0x00010008 had the same body and no CnnPrecision stream.
        ModelZip.RemoveEntries(path, name => name.EndsWith(CnnModelFormat.PrecisionStream, StringComparison.Ordinal));
        ModelZip.SetModelVersion(path, CnnModelFormat.ModelSignature, 0x00010008, 0x00010002);

        using var loaded = Assert.IsType<CnnTransformer>(new MLContext().Model.Load(path, out _));

        Assert.Equal(Precision.Float32, loaded.TrainingPrecision);
        Assert.Equal(Precision.Auto, loaded.ScoringPrecision);
    }

    [Theory]
    [InlineData(new byte[] { 2, 0, 0, 0, 2, 0, 0, 0 }, "says it trained in precision 2")]
    [InlineData(new byte[] { 1, 0, 0, 0, 9, 0, 0, 0 }, "asks for scoring precision 9")]
    [InlineData(new byte[] { 1, 0, 0, 0 }, "ends before its scoring precision")]
    public void A_damaged_precision_stream_is_refused_saying_what_it_holds(byte[] stream, string message)
    {
        using var folder = new TempFolder();
        var path = Save(m.BFloat16, folder);
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Update))
        {
            var entry = zip.Entries.Single(e => e.FullName.EndsWith(CnnModelFormat.PrecisionStream, StringComparison.Ordinal));
            var name = entry.FullName;
            entry.Delete();
            using var rewritten = zip.CreateEntry(name).Open();
            rewritten.Write(stream);
        }

        var error = LoadRefusal.OfOurLoader(Assert.ThrowsAny<Exception>(() => new MLContext().Model.Load(path, out _)));

        Assert.StartsWith("The CNN model in this file is damaged: the precision stream 'CnnPrecision'", error.Message);
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void The_scoring_precision_asked_for_is_saved_and_kept_when_the_engine_changes()
    {
        using var float32 = m.BFloat16.WithScoringPrecision(Precision.Float32);
        using var libTorch = float32.WithScoringEngine(ScoringEngine.LibTorch);
        Assert.Equal(Precision.Float32, libTorch.ScoringPrecision);
        Assert.Equal(Precision.Auto, m.BFloat16.ScoringPrecision);
        using var folder = new TempFolder();
        var path = Save(libTorch, folder);

        using var loaded = Assert.IsType<CnnTransformer>(new MLContext().Model.Load(path, out _));

        Assert.Equal(Precision.Float32, loaded.ScoringPrecision);
        Assert.Equal(ScoringEngine.LibTorch, loaded.ScoringEngine);
        Assert.Equal(Precision.BFloat16, loaded.TrainingPrecision);
        Assert.Equal(Precision.Float32, loaded.ActiveScoringPrecision);
        Assert.Equal("Scoring in Float32, as asked.", loaded.ScoringPrecisionReason);
        Assert.Throws<ArgumentOutOfRangeException>(() => m.BFloat16.WithScoringPrecision((Precision)7));
    }

    [Fact]
    public void Onnx_Runtime_scores_a_bfloat16_model_in_float32_as_LibTorch_does_and_says_why_in_the_log()
    {
        var log = new LogCapture(m.Ml);
        using var onnx = m.BFloat16.WithScoringEngine(ScoringEngine.OnnxRuntime);
        using var float32 = m.BFloat16.WithScoringEngine(ScoringEngine.LibTorch).WithScoringPrecision(Precision.Float32);
        var scores = Scores.Column(onnx.Transform(m.Test));
        var reference = Scores.Column(float32.Transform(m.Test));

        Assert.Equal(ScoringEngine.OnnxRuntime, onnx.ActiveScoringEngine);
        Assert.Equal(Precision.Float32, onnx.ActiveScoringPrecision);
        Assert.Contains("ONNX Runtime's CPU execution provider has no bfloat16 Conv or Gemm kernels", onnx.ScoringPrecisionReason);
        Assert.Contains(onnx.ScoringPrecisionReason, log.Infos);
        // Float32 as LibTorch computes it, to ONNX Runtime's own kernels' rounding (ScoringEngineTests: 1e-4).
        Assert.Equal(reference.Length, scores.Length);
        Assert.All(scores.Zip(reference), p => Assert.True(Math.Abs(p.First - p.Second) <= 1e-4, $"{p.First} vs {p.Second}"));
        Assert.NotEqual(scores.Min(), scores.Max());
    }

    // The child processes below read oneDNN's own log of what it ran (ONEDNN_VERBOSE=1), and this test reads
    // /proc/cpuinfo itself (CpuFlags): neither comes from the code under test.
    private static Dictionary<string, string?> Child(string? isa) => new()
    {
        [ScoringProbe.OneDnnVerbose] = "1",
        ["ONEDNN_MAX_CPU_ISA"] = isa,
        ["DNNL_MAX_CPU_ISA"] = null,
    };

    private ScoringProbe.FeatureRun ScoreInChild(TempFolder folder, string? isa, params string[] arguments) =>
        ScoringProbe.RunOnFeatures(Save(m.BFloat16.WithScoringEngine(ScoringEngine.LibTorch), folder), m.TestPixels, Child(isa), arguments);

    [Fact]
    public void LibTorch_under_a_onednn_cap_of_AVX2_scores_a_bfloat16_model_in_float32_says_why_and_scores_as_float32_does()
    {
        // In a child whose cap is set, so that the claim is tested on every machine (this process's cap depends on it).
        using var folder = new TempFolder();

        var run = ScoreInChild(folder, "AVX2");

        Assert.Equal("Float32", run.Precision);
        Assert.StartsWith("Scoring in Float32, though it trained in BFloat16, because the CPU ", run.Reason);
        Assert.Contains(CpuFlags.HasBFloat16 ? "but oneDNN is capped at AVX2" : "no bfloat16 instructions", run.Reason);
        Assert.Equal(run.Float32, run.First);
        Assert.True(run.OneDnn.BFloat16Compute.Count == 0, run.OneDnn.Summary());
    }

    [Fact]
    public void LibTorch_says_in_the_log_what_it_scores_a_bfloat16_model_in_and_why()
    {
        var log = new LogCapture(m.Ml);
        using var libTorch = m.BFloat16.WithScoringEngine(ScoringEngine.LibTorch);
        _ = Scores.Column(libTorch.Transform(m.Test));

        Assert.StartsWith($"Scoring in {libTorch.ActiveScoringPrecision}", libTorch.ScoringPrecisionReason);
        Assert.Contains(libTorch.ScoringPrecisionReason, log.Infos);
    }

    /// <summary>The convolutions oneDNN ran on batches of the model's size (libtorch runs inference as forward_training too).</summary>
    private IEnumerable<OneDnnLog.Execution> ScoringConvolutions(ScoringProbe.FeatureRun run) =>
        run.OneDnn.Executions.Where(e => e.Kind == "convolution" && e.Shape.StartsWith($"mb{m.BFloat16.BatchSize}_", StringComparison.Ordinal));

    // Measured on the 2-vCPU Zen 5 VM (avx512_bf16): 0.24 % (relative root-mean-square error of the 20 scores against
    // the same process's float32 scores). bfloat16 keeps 8 significant bits (relative rounding up to 2^-9, 0.2 %);
    // twice the measured error leaves room for other kernels' rounding while a layer computed wrong (10 % and more,
    // KernelCheck) stays far outside.
    private const double BFloat16ScoreError = 0.005;

    [Fact]
    public void Where_the_CPU_has_bfloat16_instructions_and_oneDNN_may_use_them_LibTorch_scores_a_bfloat16_model_on_its_bfloat16_kernels_close_to_float32_and_repeatably()
    {
        using var folder = new TempFolder();

        var run = ScoreInChild(folder, "AVX512_CORE_BF16");

        if (!CpuFlags.HasBFloat16)
        {
            // Not shown on such a CPU: the child says why it scores in Float32, and oneDNN ran no bfloat16 kernel.
            Assert.Equal("Float32", run.Precision);
            Assert.Contains("no bfloat16 instructions", run.Reason);
            Assert.Empty(run.OneDnn.BFloat16Compute);
            return;
        }
        Assert.True(run.Precision == "BFloat16", $"the child scored in {run.Precision}: {run.Reason}");
        // Scoring itself ran its convolutions on oneDNN's bfloat16 instructions, not emulated bfloat16: batches of the
        // model's size, where the kernel check runs two images. (The dense layers, 16 wide, are below the sizes libtorch
        // hands to oneDNN, so its log cannot show them.)
        Assert.True(ScoringConvolutions(run).Count(e => e.Takes("bf16") && e.OnBFloat16Instructions) >= 2 * 2, run.OneDnn.Summary());
        Assert.Equal(run.First, run.Second);
        var reference = run.Float32;
        Assert.Equal(reference.Length, run.First.Length);
        var error = Math.Sqrt(run.First.Zip(reference).Sum(p => (double)(p.First - p.Second) * (p.First - p.Second)) / reference.Sum(r => (double)r * r));
        Assert.True(error > 0 && error <= BFloat16ScoreError, $"relative error {error:P3} against float32 (measured 0.24 %, allowed {BFloat16ScoreError:P1})");
    }

    [Fact]
    public void Where_the_CPU_has_bfloat16_instructions_scoring_falls_back_to_float32_naming_a_layer_the_real_kernel_check_finds_wrong()
    {
        using var folder = new TempFolder();

        var run = ScoreInChild(folder, "AVX512_CORE_BF16", "--fault", "features.block2.conv:Output");

        Assert.Equal("Float32", run.Precision);
        // On a CPU without bfloat16 instructions the check does not run, and this shows nothing of it.
        if (!CpuFlags.HasBFloat16)
            return;
        Assert.StartsWith("Scoring in Float32, though it trained in BFloat16, because this machine's bfloat16 kernels compute " +
            "features.block2.conv, Conv2d(16→16, 5×5) on 16×16: the BFloat16 output is", run.Reason);
        Assert.Equal(run.Float32, run.First);
        Assert.DoesNotContain(ScoringConvolutions(run), e => e.Takes("bf16"));
    }

    [Fact]
    public void TorchRuntime_AllowBFloat16Kernels_in_a_fresh_process_lifts_MlNetCnns_cap_and_bfloat16_scoring_runs_on_oneDNNs_bfloat16_kernels()
    {
        // The child starts with no cap of its own: MlNetCnn caps oneDNN where the machine hides its cache sizes, and the
        // call lifts that cap on a CPU with bfloat16 instructions (elsewhere there is nothing to lift).
        using var folder = new TempFolder();
        var capped = !Directory.Exists("/sys/devices/system/cpu/cpu0/cache");

        var run = ScoreInChild(folder, isa: null, "--allow-bfloat16-kernels");

        Assert.Equal(capped && CpuFlags.HasBFloat16, run.Allowed);
        Assert.Equal(CpuFlags.HasBFloat16 ? "BFloat16" : "Float32", run.Precision);
        Assert.Equal(CpuFlags.HasBFloat16, ScoringConvolutions(run).Any(e => e.Takes("bf16") && e.OnBFloat16Instructions));
        if (CpuFlags.HasBFloat16)
            Assert.True(run.OneDnn.Isa?.Contains("bfloat16", StringComparison.Ordinal), run.OneDnn.Summary());
        // Float32 under the lifted cap is checked first; this network's 16 channels compute right.
        Assert.Null(run.Refusal("float32"));
    }

    [Fact]
    public void Under_a_lifted_cap_LibTorch_refuses_float32_scoring_of_a_layer_the_real_kernel_check_finds_wrong()
    {
        using var folder = new TempFolder();
        var capped = !Directory.Exists("/sys/devices/system/cpu/cpu0/cache");

        var run = ScoreInChild(folder, isa: null, "--allow-bfloat16-kernels", "--fault", "features.block2.conv:Gradient");

        if (run.Allowed != true)
        {
            // Nothing was lifted (a machine that shows its cache sizes, or a CPU without bfloat16): no float32 check, no refusal.
            Assert.False(capped && CpuFlags.HasBFloat16);
            Assert.Null(run.Refusal("float32"));
            return;
        }
        // The bfloat16 check finds the layer wrong, so scoring falls back to float32, which under the lift is checked as well.
        Assert.StartsWith("This process lifted oneDNN's cap for bfloat16 (TorchRuntime.AllowBFloat16Kernels), and there some float32 kernels compute wrong: " +
            "this machine's float32 kernels compute features.block2.conv, Conv2d(16→16, 5×5) on 16×16: the Float32 weight gradient is", run.Refusal("first"));
        Assert.Contains("ScoringEngine.OnnxRuntime", run.Refusal("first"));
        Assert.Contains("features.block2.conv", run.Refusal("float32"));
    }
}
