using MlNetCnn.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MlNetCnn.Data;
using MlNetCnn.Native;
using MlNetCnn.Network;
using MlNetCnn.NetworkKinds;
using MlNetCnn.Scoring;
using TorchSharp;
using MlNetCnn.Diagnostics;
using MlNetCnn.Tasks;
using MlNetCnn.Precisions;

namespace MlNetCnn;

/// <summary>
/// Trains the question's CNN (or another <see cref="Network.NetworkShape"/>) as an ML.NET binary classifier on a
/// Boolean label and a C×H×W image vector, and returns a <see cref="CnnTransformer"/>.
/// </summary>
public sealed class CnnEstimator : IEstimator<CnnTransformer>
{
    private readonly IHost host;
    private readonly CnnOptions options;

    /// <summary>An estimator with default options, in a new <see cref="MLContext"/>.</summary>
    public CnnEstimator() : this(new MLContext(), null)
    {
    }

    /// <summary>An estimator with <paramref name="options"/>, in a new <see cref="MLContext"/>.</summary>
    public CnnEstimator(CnnOptions options) : this(new MLContext(), options)
    {
    }

    /// <summary>An estimator that logs to <paramref name="mlContext"/> and takes its seed when the options give none.</summary>
    public CnnEstimator(MLContext mlContext, CnnOptions? options = null)
        : this((IHostEnvironment)(mlContext ?? throw new ArgumentNullException(nameof(mlContext))), options)
    {
    }

    internal CnnEstimator(IHostEnvironment env, CnnOptions? options)
    {
        this.options = (options ?? new CnnOptions()).Clone();
        this.options.Validate();
        host = env.Register(nameof(CnnEstimator));
    }

    /// <summary>The input schema plus Score, Probability and PredictedLabel; throws when a needed column is missing or of the wrong type.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var task = CnnTask.Of(options);
        ColumnChecks.Check(inputSchema, options, task);
        var columns = inputSchema.ToDictionary(c => c.Name);
        foreach (var column in task.OutputShape())
            columns[column.Name] = column;
        return new SchemaShape(columns.Values);
    }

    /// <summary>First rate of <see cref="FindLearningRate"/>'s range test.</summary>
    public const double FinderStartRate = 1e-6;
    /// <summary>
    /// Last rate of <see cref="FindLearningRate"/>'s range test (fastai's). With batch norm, Adam's loss on
    /// Fashion-MNIST does not blow up within a few steps below about 3, so the test must go past it to see the turn.
    /// </summary>
    public const double FinderEndRate = 10;
    /// <summary>Most batches (training steps) of <see cref="FindLearningRate"/>'s range test.</summary>
    public const int FinderMaxBatches = 100;
    /// <summary>The seed of <see cref="FindLearningRate"/> when the options give none (the context's generator is left alone).</summary>
    public const int FinderDefaultSeed = 0;

    /// <summary>
    /// The learning-rate range test: a fresh network (the one <see cref="Fit"/> would start from) takes one Adam step
    /// per batch of <paramref name="input"/>'s training rows while the rate rises exponentially from
    /// <paramref name="startRate"/> to <paramref name="endRate"/> over at most <paramref name="maxBatches"/> batches,
    /// stopping early when the smoothed loss blows up (above 4 times its lowest, or not finite). Returns the curve
    /// and <see cref="LearningRateFinderResult.SuggestedLearningRate"/>, a tenth of the rate at the lowest smoothed
    /// loss. The network is thrown away and this estimator is unchanged; the seed is <see cref="CnnOptions.Seed"/>,
    /// or <see cref="FinderDefaultSeed"/> without one, so the context's random generator (and with it a following
    /// Fit) is not touched. Rows held out by <see cref="CnnOptions.ValidationFraction"/> are left out, as in Fit.
    /// Augmentation, weight decay and class weights apply as in training.
    /// </summary>
    public LearningRateFinderResult FindLearningRate(IDataView input, double startRate = FinderStartRate, double endRate = FinderEndRate, int maxBatches = FinderMaxBatches)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!(startRate > 0) || double.IsInfinity(startRate))
            throw new ArgumentOutOfRangeException(nameof(startRate), startRate, "The range test's start rate must be a positive finite number.");
        if (!(endRate > startRate) || double.IsInfinity(endRate))
            throw new ArgumentOutOfRangeException(nameof(endRate), endRate, $"The range test's end rate must be finite and above its start rate ({startRate:G3}).");
        if (maxBatches < 2)
            throw new ArgumentOutOfRangeException(nameof(maxBatches), maxBatches, "The range test needs at least 2 batches.");
        var seed = options.Seed ?? FinderDefaultSeed;
        var kind = NetworkKind.Of(options);
        var (heap, heapSaid) = TrainingHeap.Enter();
        using var heapScope = heap;
        var train = ScanTraining(input, seed, kind, out var lifted);
        train.CheckRows(options);
        using var channel = host.Start("FindLearningRate");
        foreach (var said in new[] { heapSaid, lifted }.OfType<string>())
            channel.Info(said);
        var result = new LearningRateFinder(options, seed, kind).Run(train, startRate, endRate, maxBatches);
        channel.Info(DescribeSearch(result));
        return result;
    }

    /// <summary>Reads <paramref name="input"/>, trains the network and returns the trained transformer.</summary>
    public CnnTransformer Fit(IDataView input)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        if (!options.HasValidation && (options.EarlyStoppingPatience is not null || options.ThresholdSelection != ThresholdSelection.Fixed))
            throw new ArgumentException("Early stopping and threshold selection measure a validation set: give ValidationSet or ValidationFraction.", nameof(options));
        var seed = options.Seed ?? host.Rand.Next();
        var kind = NetworkKind.Of(options);
        var (heap, heapSaid) = TrainingHeap.Enter();
        using var heapScope = heap;
        var train = ScanTraining(input, seed, kind, out var lifted);
        var validation = ValidationData.Prepare(options, train);
        // Reported once, before the checks, so that a callback can judge what was left out in its own terms.
        var unreadable = train.UnreadableWith(validation);
        foreach (var callback in options.Callbacks)
            callback.OnDataRead(unreadable);
        train.CheckRows(options);
        validation?.CheckRows();
        var geometry = train.Geometry;

        using var channel = host.Start("Training");
        channel.Info($"Training {kind.Description} on {train.TrainCount} images of {geometry} ({train.TrainPositives} positive)" +
            (validation is null ? "" : $", validating on {validation.Count} ({validation.Positives} positive)") +
            $", seed {seed}, {DescribeThreads()}, images {train.DescribeSource(options.BatchSize)}.");
        foreach (var said in new[] { heapSaid, lifted }.OfType<string>())
            channel.Info(said);
        var trainOptions = options;
        LearningRateFinderResult? search = null;
        if (options.AutoLearningRate)
        {
            search = new LearningRateFinder(options, seed, kind).Run(train, FinderStartRate, FinderEndRate, FinderMaxBatches);
            trainOptions = options.Clone();
            trainOptions.LearningRate = Math.Max(search.SuggestedLearningRate, options.MinimumLearningRate);
            channel.Info(DescribeSearch(search) + $" Training at {trainOptions.LearningRate:G3} (AutoLearningRate).");
        }
        var result = new CnnTrainer(channel, trainOptions, seed, kind, clock).Fit(train, validation);
        TrainedNetwork trained;
        using (var network = result.Network)
            trained = kind.Capture(network);
        // A network without an ONNX form (TorchScript, a user's factory) scores with LibTorch, and says so in the zip.
        var engine = CnnScorer.EngineFor(trained, options.ScoringEngine);
        var scorer = new CnnScorer(host, geometry, trained, engine, options.ScoringThreads);
        if (options.UsesTimeBudget)
            channel.Info(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"Fit took {clock.Elapsed.TotalSeconds:F1} s of a {options.TrainingTime!.Value.TotalSeconds:0.#} s time budget ({result.History.Count} epochs)."));
        var report = new TrainingReport(result.History, result.BestEpoch, search, unreadable, 0, trained.TrainedPrecision, result.Precision.Reason);
        return new CnnTransformer(host, scorer, options.FeatureColumnName, result.Threshold, options.BatchSize, ClassNames.From(options), report);
    }

    /// <summary>
    /// The schema checks and the first pass over the training rows that Fit and FindLearningRate share. Before any
    /// kernel runs, lifts oneDNN's cap where the precision asked for needs it (<paramref name="lifted"/> says so; see
    /// <see cref="PrecisionChoice.LiftCapFor"/>).
    /// </summary>
    private TrainingData ScanTraining(IDataView input, int seed, NetworkKind kind, out string? lifted)
    {
        ArgumentNullException.ThrowIfNull(input);
        TorchRuntime.EnsureLoaded();
        // A custom network's input check runs it; the built-in network's is arithmetic, so the cap can still be lifted.
        if (kind.Shape is null)
            OneDnnGuard.NoteKernelsUsed();
        var geometry = TrainingData.CheckInput(input.Schema, options, kind);
        lifted = PrecisionChoice.LiftCapFor(options.Precision, kind.Shape, geometry);
        OneDnnGuard.NoteKernelsUsed();
        Cores.UseForLibTorch(options.Threads);
        return TrainingData.FromInput(input, geometry, options, seed);
    }

    /// <summary>libtorch's intra-op threads for the log, and where the count comes from.</summary>
    private string DescribeThreads()
    {
        var threads = torch.get_num_threads();
        var source = options.Threads is not null ? "Threads" : threads == Cores.Available ? Cores.AvailableReason : $"the process's count; {Cores.AvailableReason}";
        return $"{threads} thread{(threads == 1 ? "" : "s")} ({source})";
    }

    private static string DescribeSearch(LearningRateFinderResult r) =>
        $"Learning-rate range test: {r.Batches} batches in {r.Seconds:F1} s{(r.StoppedEarly ? " (stopped when the loss blew up)" : "")}; " +
        $"lowest smoothed loss {r.Curve.Min(p => p.SmoothedLoss):F4} at {r.MinimumLossLearningRate:G3}; suggested learning rate {r.SuggestedLearningRate:G3} ({LearningRateFinderResult.SuggestionRule}).";
}
