using System.IO.Compression;
using Microsoft.ML;
using MlNetCnn.Native;
using MlNetCnn.Persistence;
using MlNetCnn.Tests.Support;
using MlNetCnn.Precisions;

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
    public void A_float32_fit_and_a_model_saved_before_the_precision_stream_report_float32()
    {
        Assert.Equal(Precision.Float32, m.Float32.TrainingPrecision);
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
    public void Onnx_Runtime_scores_a_bfloat16_model_in_float32_and_says_why_in_the_log()
    {
        var log = new LogCapture(m.Ml);
        using var onnx = m.BFloat16.WithScoringEngine(ScoringEngine.OnnxRuntime);
        _ = Scores.Column(onnx.Transform(m.Test));

        Assert.Equal(ScoringEngine.OnnxRuntime, onnx.ActiveScoringEngine);
        Assert.Equal(Precision.Float32, onnx.ActiveScoringPrecision);
        Assert.Contains("ONNX Runtime's CPU execution provider has no bfloat16 Conv or Gemm kernels", onnx.ScoringPrecisionReason);
        Assert.Contains(onnx.ScoringPrecisionReason, log.Infos);
    }

    [Fact]
    public void LibTorch_scores_a_bfloat16_model_in_float32_where_bfloat16_is_not_native_says_why_and_scores_as_float32_does()
    {
        var machine = BFloat16Support.Current();
        var log = new LogCapture(m.Ml);
        using var libTorch = m.BFloat16.WithScoringEngine(ScoringEngine.LibTorch);
        var scores = Scores.Column(libTorch.Transform(m.Test));
        if (machine.Native)
        {
            // A process whose oneDNN may use bfloat16 (this VM's is capped at AVX2 unless started otherwise).
            Assert.Equal(Precision.BFloat16, libTorch.ActiveScoringPrecision);
            return;
        }

        Assert.Equal(Precision.Float32, libTorch.ActiveScoringPrecision);
        Assert.Equal($"Scoring in Float32, though it trained in BFloat16, because {machine.Reason}.", libTorch.ScoringPrecisionReason);
        Assert.Contains(libTorch.ScoringPrecisionReason, log.Infos);
        using var float32 = libTorch.WithScoringPrecision(Precision.Float32);
        Assert.Equal(Scores.Column(float32.Transform(m.Test)), scores);
    }

    [Fact]
    public void With_bfloat16_kernels_allowed_LibTorch_scores_a_bfloat16_model_in_bfloat16_close_to_float32_and_repeatably()
    {
        using var folder = new TempFolder();
        var path = Save(m.BFloat16.WithScoringEngine(ScoringEngine.LibTorch), folder);
        using var float32 = m.BFloat16.WithScoringEngine(ScoringEngine.LibTorch).WithScoringPrecision(Precision.Float32);
        var reference = Scores.Column(float32.Transform(m.Test));
        const string isa = "AVX512_CORE_BF16";

        var (first, second, precision, reason) = ScoringProbe.RunOnFeatures(path, m.TestPixels, new Dictionary<string, string> { ["ONEDNN_MAX_CPU_ISA"] = isa });

        var child = BFloat16Support.Judge(File.Exists(BFloat16Support.CpuInfoPath) ? File.ReadAllText(BFloat16Support.CpuInfoPath) : null, isa);
        if (!child.Native)
        {
            // A CPU without bfloat16 instructions: the child says so and scores in Float32.
            Assert.Equal("Float32", precision);
            Assert.Contains(child.Reason, reason);
            return;
        }
        Assert.True(precision == "BFloat16", $"the child scored in {precision}: {reason}");
        Assert.Equal(first, second);
        Assert.Equal(reference.Length, first.Length);
        // The output layer ran in bfloat16: each logit is a bfloat16 value (no bits below its 16), as float32's are not.
        // (Float32 in the child would not do: oneDNN's AVX-512 float32 kernels give other bits than the parent's AVX2 ones.)
        Assert.All(first, s => Assert.Equal(0, BitConverter.SingleToInt32Bits(s) & 0xFFFF));
        Assert.Contains(reference, s => (BitConverter.SingleToInt32Bits(s) & 0xFFFF) != 0);
        Assert.NotEqual(reference, first);
        var error = Math.Sqrt(first.Zip(reference).Sum(p => (double)(p.First - p.Second) * (p.First - p.Second)) / reference.Sum(r => (double)r * r));
        Assert.InRange(error, 0, 0.02);
    }
}
