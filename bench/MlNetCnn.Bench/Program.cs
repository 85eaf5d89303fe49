using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetCnn;
using MlNetCnn.Bench;
using MlNetCnn.Native;
using TorchSharp;

// MlNetCnn benchmark for issue 5. Usage: dotnet run -c Release --project bench/MlNetCnn.Bench [-- --quick]
//   --quick             about 2 minutes instead of about 15
//   --tiny              about a minute: every row once at 64×64 only, no memory row (a check that it runs; figures mean nothing)
//   --threads N         intra-op threads for TorchSharp and PyTorch (default: all cores)
//   --python PATH       Python with Debian's python3-torch (default /usr/bin/python3)
//   --no-pytorch        skip rows (c) and the PyTorch scoring row
//   --markdown FILE     also write the table to FILE
//   --memory            only the memory row (10 epochs at 64×64, fresh process)
//   --leaks [--threads N]  instead of the benchmark: resident memory over 20 Fits and 10,000 predictions (LeakProbe.cs)
//   --dispose-memory  instead of the benchmark: resident memory of a loaded model per engine, before and after Dispose (DisposeMemoryBench.cs)
//   --contention [--quick]  instead of the benchmark: Predict latency and training speed, idle and beside a busy loop per core (ContentionBench.cs)
//   --scoring [--quick] [--threads N]  instead of the benchmark: the scoring engines side by side (ScoringBench.cs)
//   --photo-folder [--out DIR] [--epochs N]  instead of the benchmark: ML.NET's image steps vs MlNetCnn's on a folder of phone-like photos (PhotoFolderBench.cs)
//   --transfer [--photos DIR] [--take N]  instead of the benchmark: ML.NET's DnnFeaturizeImage(ResNet18) + L-BFGS vs MlNetCnn's ResNet18 backbone, frozen and fine-tuned, on a photo folder (TransferBench.cs)
//   --scalar-race [--seconds N] [--rounds N] [--scenario NAME]  instead of the benchmark: TorchSharp's temporary-Scalar race (ScalarRaceProbe.cs)
//   --precision [--quick] [--repeats N] [--sides 64,244] [--bf16-isa ISA]  instead of the benchmark: Fit in Float32 and BFloat16 vs PyTorch FP32 and autocast (PrecisionBench.cs)
//   --levers --train DIR --valid DIR --variants "base;epochs:30+ema:0.998;…" [--markdown FILE]  instead of the benchmark: training levers on small data, with mirror test-time averaging measured offline (LeverBench.cs)
//   --precision-accuracy [--epochs N] [--seeds 1,2,3]    instead of the benchmark: Float32 vs BFloat16 test accuracy on two Fashion-MNIST pairs (PrecisionBench.cs)
if (args.Length > 0 && args[0] == MemoryProbe.ChildFlag)
    return MemoryProbe.Child(args);
if (args.Length > 0 && args[0].StartsWith(ScalarRaceProbe.Flag, StringComparison.Ordinal))
    return ScalarRaceProbe.Run(args);
if (args.Contains(DisposeMemoryBench.Flag))
    return DisposeMemoryBench.Run(args);
if (args.Contains(ContentionBench.Flag))
    return ContentionBench.Run(args);
if (args.Contains(ScoringBench.Flag))
    return ScoringBench.Run(args);
if (args.Contains(PhotoFolderBench.Flag))
    return PhotoFolderBench.Run(args);
if (args.Contains(TransferBench.Flag))
    return TransferBench.Run(args);
if (args.Contains(LeakProbe.Flag))
    return LeakProbe.Run(args);
if (args.Contains(LeverBench.Flag))
    return LeverBench.Run(args);
if (args.Contains(PrecisionBench.Flag) || args.Contains(PrecisionBench.AccuracyFlag) || args.Contains(PrecisionBench.ChildFlag))
    return PrecisionBench.Run(args);

var settings = BenchSettings.Parse(args);
if (args.Contains("--memory"))
{
    // Only the memory row: resident memory per epoch of a 10-epoch Fit in a fresh process.
    var only = MemoryProbe.Run(64, settings.MemoryImages, settings.MemoryEpochs, settings.Threads);
    Console.WriteLine(only is null ? "memory probe failed" : $"VmRSS per epoch (MiB): {string.Join(" · ", only.RssMiBPerEpoch.Select((m, i) => $"{i + 1}: {m:F0}"))}; growth after epoch 2: {only.GrowthAfterEpoch2Percent:F1} %; peak {only.PeakMiB:F0} MiB");
    return 0;
}
TorchRuntime.EnsureLoaded();
// libtorch's own thread count, before the bench sets its own: the defaults rows run at it, as a user's process would.
var libTorchDefault = torch.get_num_threads();
torch.set_num_threads(settings.Threads);
var total = System.Diagnostics.Stopwatch.StartNew();
void Log(string message) => Console.Error.WriteLine($"[{total.Elapsed:mm\\:ss}] {message}");

var header = RunHeader.Read(args);
Log($"commit {header.Commit}; {header.CpuModel}, SIMD {string.Join(" ", header.SimdFlags)}; libtorch kernels {header.TorchCpuCapability ?? "unknown"}; load {header.LoadAverage}");
Log($"threads {torch.get_num_threads()} (libtorch's own: {libTorchDefault}), {(settings.Tiny ? "tiny" : settings.Quick ? "quick" : "full")} run");
var peak = new PeakProbe(settings.PeakSides, settings.PeakRepeats);
Log($"TorchSharp FP32 matmul peak, first round: {peak.Sample():F1} GFLOP/s");

var results = new List<SizeResult>();
PyTorchResult? pyTorch = null;
PyTorchResult? pyTorchAsStarted = null;
foreach (var size in settings.Sizes)
{
    var result = new SizeResult(size);
    results.Add(result);
    using var set = ImageSet.Write(size.Images, size.Side, size.SourceSide);
    Log($"{size.Side}×{size.Side}: wrote {set.Count} PNGs of {size.SourceSide}×{size.SourceSide}");
    var ml = new MLContext(seed: 1);
    set.ExtractPixels(ml);
    result.ImageStages = set.Count / Timing.Median(Timing.Repeat(size.Repeats, () => set.ReadFeatures(ml, null)));
    Log($"image stages {result.ImageStages:F0} images/s");

    // (a) plain loop
    using var plain = new PlainTorch(set, settings.BatchSize, seed: 1);
    plain.Train(1, settings.WarmupSteps);
    var trained = 0;
    var plainSeconds = Timing.Repeat(size.Repeats, () => trained = plain.Train(size.Epochs));
    result.PlainTrainSeconds = Timing.Median(plainSeconds);
    result.PlainTrain = trained / result.PlainTrainSeconds;
    result.PlainPhases = plain.PhaseSplit(settings.WarmupSteps);
    Log($"(a) plain train {result.PlainTrain:F1} images/s [{string.Join(", ", plainSeconds.Select(x => x.ToString("F2")))} s]");

    // (b) pipeline, after a small warm-up Fit: the comparison row with the learnability check off ...
    PipelineRuns.FitFromPng(set, 1, settings.BatchSize, take: settings.BatchSize * settings.WarmupSteps).Model.LastTransformer.Dispose();
    TransformerChain<CnnTransformer>? model = null;
    var fits = new List<FitTiming>();
    for (var i = 0; i < size.Repeats; i++)
    {
        model?.LastTransformer.Dispose();
        (model, var timing) = PipelineRuns.FitFromPng(set, size.Epochs, settings.BatchSize);
        fits.Add(timing);
    }
    result.PipelineSplit = fits.OrderBy(f => f.Seconds).ElementAt(fits.Count / 2);
    result.PipelineFit = (double)trained / Timing.Median(fits.Select(f => f.Seconds).ToList());
    Log($"(b) pipeline Fit, check off {result.PipelineFit:F1} images/s [{string.Join(", ", fits.Select(f => $"{f.Seconds:F2} (read {f.ReadSeconds:F2})"))} s]");

    // ... and the same with the defaults, as a user gets it: CnnOptions' defaults (the learnability check on, nothing
    // about scoring set, no bfloat16 lift) and libtorch at its own thread count. Its model scores in the defaults rows of (d).
    torch.set_num_threads(libTorchDefault);
    var defaultFits = new List<double>();
    TransformerChain<CnnTransformer>? defaultModel = null;
    for (var i = 0; i < size.Repeats; i++)
    {
        defaultModel?.LastTransformer.Dispose();
        (defaultModel, var timing) = PipelineRuns.FitFromPng(set, size.Epochs, settings.BatchSize, checkLearnable: true);
        defaultFits.Add(timing.Seconds);
    }
    result.PipelineFitDefaults = trained / Timing.Median(defaultFits);
    Log($"(b) pipeline Fit, defaults {result.PipelineFitDefaults:F1} images/s [{string.Join(", ", defaultFits.Select(f => f.ToString("F2")))} s]");
    {
        var scored = size.ScoreImages;
        var defaultsMl = new MLContext(seed: 1);
        var asFitted = defaultModel!.LastTransformer;
        var defaultFeatures = set.FeatureView(defaultsMl, scored);
        PipelineRuns.Consume(asFitted.Transform(set.FeatureView(defaultsMl, Math.Min(scored, settings.BatchSize))));
        result.TransformMemoryDefaults = scored / Timing.Median(Timing.Repeat(size.Repeats, () => PipelineRuns.Consume(asFitted.Transform(defaultFeatures))));
        var defaultRows = set.RowsView(defaultsMl, scored);
        result.TransformPngDefaults = scored / Timing.Median(Timing.Repeat(size.Repeats, () => PipelineRuns.Consume(defaultModel.Transform(defaultRows))));
        Log($"(d) Transform as Fit returned it: in memory {result.TransformMemoryDefaults:F1}, from PNG {result.TransformPngDefaults:F1} images/s");
        asFitted.Dispose();
    }
    torch.set_num_threads(settings.Threads);

    // A profiling row, not a target: run once.
    var (memoryModel, memoryTiming) = PipelineRuns.FitFromMemory(set, size.Epochs, settings.BatchSize);
    memoryModel.Dispose();
    result.MemorySplit = memoryTiming;
    result.MemoryFit = trained / memoryTiming.Seconds;
    Log($"(b') in-memory Fit {result.MemoryFit:F1} images/s [{memoryTiming.Seconds:F2} (read {memoryTiming.ReadSeconds:F2}) s]");

    result.CheckSeconds = PipelineRuns.CheckCost(set, settings.BatchSize);
    Log($"learnability check adds {result.CheckSeconds:F2} s to a Fit");

    // (d) scoring
    var n = size.ScoreImages;
    plain.Score(Math.Min(n, settings.BatchSize));
    result.PlainForward = n / Timing.Median(Timing.Repeat(size.Repeats, () => plain.Score(n)));
    // Tuned: the scoring engine at the bench's thread count, as PyTorch's tuned row is.
    var tuned = model!.WithScoringEngine(ScoringEngine.OnnxRuntime, settings.Threads);
    model!.LastTransformer.Dispose();
    var cnn = tuned.FindCnn();
    var scoringMl = new MLContext(seed: 1);
    var features = set.FeatureView(scoringMl, n);
    PipelineRuns.Consume(cnn.Transform(set.FeatureView(scoringMl, Math.Min(n, settings.BatchSize))));
    result.TransformMemory = n / Timing.Median(Timing.Repeat(size.Repeats, () => PipelineRuns.Consume(cnn.Transform(features))));
    var pngRows = set.RowsView(scoringMl, n);
    result.TransformPng = n / Timing.Median(Timing.Repeat(size.Repeats, () => PipelineRuns.Consume(tuned.Transform(pngRows))));
    Log($"(d) plain forward {result.PlainForward:F1}, Transform in memory {result.TransformMemory:F1}, Transform from PNG {result.TransformPng:F1} images/s");
    cnn.Dispose();
    // The peak again, beside the scoring rows it divides.
    Log($"TorchSharp FP32 matmul peak after the {size.Side}×{size.Side} rows: {peak.Sample():F1} GFLOP/s (best so far {peak.Best:F1})");

    // (c) PyTorch, same tensors
    if (!settings.SkipPyTorch)
    {
        var py = PyTorchRunner.Run(settings, size, set, matmul: pyTorch is null);
        if (py is not null)
        {
            result.PyTorchTrain = py.TrainImagesPerSecond;
            result.PyTorchScore = py.ScoreImagesPerSecond;
            pyTorch ??= py;
            Log($"(c) PyTorch train {py.TrainImagesPerSecond:F1}, eval {py.ScoreImagesPerSecond:F1} images/s");
        }
        // PyTorch as it starts: its own thread count, without the variables MlNetCnn set in this process.
        var asStarted = PyTorchRunner.Run(settings, size, set, matmul: false, asItStarts: true);
        if (asStarted is not null)
        {
            result.PyTorchTrainAsStarted = asStarted.TrainImagesPerSecond;
            result.PyTorchScoreAsStarted = asStarted.ScoreImagesPerSecond;
            pyTorchAsStarted ??= asStarted;
            Log($"(c) PyTorch as it starts ({asStarted.Threads} threads): train {asStarted.TrainImagesPerSecond:F1}, eval {asStarted.ScoreImagesPerSecond:F1} images/s");
        }
    }
}

MemoryReport? memory = null;
if (settings.MemoryImages > 0)
{
    Log($"memory probe: {settings.MemoryEpochs} epochs of Fit at 64×64 over {settings.MemoryImages} images");
    memory = MemoryProbe.Run(64, settings.MemoryImages, settings.MemoryEpochs, settings.Threads);
}
var (table, errors) = Report.Build(settings, header, RunHeader.ReadLoadAverage(), results, peak, pyTorch, pyTorchAsStarted, libTorchDefault, memory);
Console.WriteLine(table);
if (settings.ResultsMarkdown is { } path)
    File.WriteAllText(path, table);
foreach (var error in errors)
    Console.Error.WriteLine($"mlnetcnn-bench: {error}");
Log(errors.Count == 0 ? "done" : $"done; the run is not valid ({errors.Count} measurement error(s))");
return errors.Count == 0 ? 0 : 1;
