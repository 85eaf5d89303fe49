using System.CommandLine;

namespace MlNetCnn.Cli.Commands;

/// <summary>Options and checks that more than one command shares.</summary>
internal static class CommonOptions
{
    /// <summary><c>--positive NAME</c>: which class subfolder is the positive class.</summary>
    public static Option<string?> Positive() => new("--positive")
    {
        Description = "For a folder of two class subfolders: the name of the positive one (ignored when the folder has labels.csv).",
    };

    /// <summary><c>--skip-bad-images</c>: leave out images that cannot be read instead of stopping at the first.</summary>
    public static Option<bool> SkipBadImages() => new("--skip-bad-images")
    {
        Description = "Leave out images that cannot be read (missing, empty, truncated, not an image) instead of stopping at the first: " +
            "print one warning with how many and why, record each (train, evaluate: in metrics.json; predict: an \"error\" entry or a 'skipped' line) " +
            "and go on with the rest. Still fails when no image is left, or a labelled folder has none left of a class.",
    };

    /// <summary><c>--engine</c>: which runtime scores (the model's own choice when not given).</summary>
    public static Option<ScoringEngine?> Engine() => new("--engine")
    {
        Description = "Scoring engine: OnnxRuntime (the default a model is trained with) or LibTorch. Not given: the engine saved in the model.",
    };

    /// <summary><c>--scoring-threads N</c>: the scoring engine's intra-op threads.</summary>
    public static Option<int?> ScoringThreads() => new("--scoring-threads")
    {
        Description = "Intra-op threads of the scoring engine (not given: the model's setting, else the engine's default).",
    };

    /// <summary>The model with the engine and threads the flags ask for, or as it is when neither is given.</summary>
    public static Microsoft.ML.ITransformer WithEngine(Microsoft.ML.ITransformer model, ScoringEngine? engine, int? threads)
    {
        if (engine is null && threads is null)
            return model;
        var cnn = model.FindCnn();
        try
        {
            return model.WithScoringEngine(engine ?? cnn.ScoringEngine, threads ?? cnn.ScoringThreads);
        }
        catch (ArgumentOutOfRangeException e) when (e.ParamName == nameof(CnnOptions.ScoringThreads))
        {
            throw new CliException($"--scoring-threads {threads} is out of range: {e.Message.Split(" (Parameter")[0]}");
        }
    }

    /// <summary>Throws unless <paramref name="folder"/> is a folder or does not exist yet.</summary>
    public static void CheckOutFolder(string folder)
    {
        if (File.Exists(folder))
            throw new CliException($"--out '{folder}' is a file; it must be a folder (it is created when missing).");
    }
}
