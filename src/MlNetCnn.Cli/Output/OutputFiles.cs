namespace MlNetCnn.Cli.Output;

/// <summary>The files a command writes into its <c>--out</c> folder.</summary>
internal sealed class OutputFiles
{
    /// <summary>Names the files inside <paramref name="folder"/>.</summary>
    public OutputFiles(string folder)
    {
        Model = Path.Combine(folder, "model.zip");
        Curves = Path.Combine(folder, "curves.png");
        Roc = Path.Combine(folder, "roc.png");
        Metrics = Path.Combine(folder, "metrics.json");
        Errors = Path.Combine(folder, "errors.png");
    }

    /// <summary>A contact sheet of the most confidently wrong images.</summary>
    public string Errors { get; }

    /// <summary>The ML.NET model: image steps and network.</summary>
    public string Model { get; }

    /// <summary>Loss and accuracy per epoch.</summary>
    public string Curves { get; }

    /// <summary>The ROC curve.</summary>
    public string Roc { get; }

    /// <summary>Final metrics, settings and history.</summary>
    public string Metrics { get; }
}
