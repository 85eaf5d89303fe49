using System.CommandLine;

namespace MlNetCnn.Cli.Commands;

/// <summary>Options and checks that more than one command shares.</summary>
internal static class CommonOptions
{
    /// <summary><c>--positive NAME</c>: which class subfolder is the positive class.</summary>
    public static Option<string?> Positive() => new("--positive")
    {
        Description = "For a folder of two class subfolders: the name of the positive one (ignored when the folder has labels.csv). " +
            "Not needed with a model that knows its classes; one that contradicts the model is an error.",
    };

    /// <summary><c>--skip-bad-images</c>: leave out images that cannot be read instead of stopping at the first.</summary>
    public static Option<bool> SkipBadImages() => new("--skip-bad-images") { Description = SkipBadImagesDescription };

    /// <summary>What <c>--skip-bad-images</c> does.</summary>
    public const string SkipBadImagesDescription =
        "Leave out images that cannot be read (missing, empty, truncated, not an image) instead of stopping at the first: " +
        "print one warning with how many and why, record each (train, evaluate: in metrics.json; predict: an \"error\" entry or a 'skipped' line) " +
        "and go on with the rest. Still fails when no image is left, or a labelled folder has none left of a class.";

    /// <summary><c>--engine</c>: which runtime scores (the model's own choice when not given).</summary>
    public static Option<ScoringEngine?> Engine() => new("--engine")
    {
        Description = "Scoring engine: OnnxRuntime (the default a model is trained with) or LibTorch. Not given: the engine saved in the model.",
    };

    /// <summary><c>--scoring-threads N</c>: the scoring engine's intra-op threads.</summary>
    public static Option<int?> ScoringThreads() => new("--scoring-threads")
    {
        Description = "Intra-op threads of the scoring engine (not given: the model's setting, else the cores this process may run on).",
    };

    /// <summary>
    /// Loads <paramref name="path"/> (see <see cref="Data.ImagePipeline.LoadModel"/>) to score with the engine and threads
    /// the flags ask for; the model's own when neither is given.
    /// </summary>
    public static ScoringModel LoadForScoring(Microsoft.ML.MLContext ml, string path, ScoringEngine? engine, int? threads)
    {
        var file = Data.ImagePipeline.LoadModel(ml, path);
        if (engine is null && threads is null)
            return new ScoringModel(file, file);
        try
        {
            var cnn = file.FindCnn();
            return new ScoringModel(file, file.WithScoringEngine(engine ?? cnn.ScoringEngine, threads ?? cnn.ScoringThreads));
        }
        catch (Exception e)
        {
            (file as IDisposable)?.Dispose();
            if (e is ArgumentOutOfRangeException { ParamName: nameof(CnnOptions.ScoringThreads) })
                throw new CliException($"--scoring-threads {threads} is out of range: {e.Message.Split(" (Parameter")[0]}");
            throw;
        }
    }

    /// <summary>A loaded model as it scores (<see cref="Model"/>); disposing it disposes what was loaded too.</summary>
    public sealed class ScoringModel(Microsoft.ML.ITransformer loaded, Microsoft.ML.ITransformer model) : IDisposable
    {
        /// <summary>The model to score with.</summary>
        public Microsoft.ML.ITransformer Model { get; } = model;

        /// <summary>Disposes the scoring model and, when the engine was changed, the model as loaded.</summary>
        public void Dispose()
        {
            if (!ReferenceEquals(Model, loaded))
                (Model as IDisposable)?.Dispose();
            (loaded as IDisposable)?.Dispose();
        }
    }

    /// <summary>Throws unless <paramref name="folder"/> is a folder or does not exist yet.</summary>
    public static void CheckOutFolder(string folder)
    {
        if (File.Exists(folder))
            throw new CliException($"--out '{folder}' is a file; it must be a folder (it is created when missing).");
    }
}
