using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetCnn.Cli.Data;

/// <summary>
/// The image step before the network: MlNetCnn's <see cref="CnnImageEstimator"/>, which reads each ImagePath upright
/// (EXIF orientation), composites transparency on the background and resizes as the options say. Saved inside
/// model.zip with the network, so a model scores image paths directly, with the preprocessing it was trained with.
/// </summary>
internal static class ImagePipeline
{
    /// <summary>Column holding the network's input: C×H×W Single values in [0, 1].</summary>
    public const string FeaturesColumn = "Features";

    /// <summary>The image step with <paramref name="options"/> (their column names set to the CLI's).</summary>
    public static CnnImageEstimator Create(MLContext ml, CnnImageOptions options)
    {
        options.InputColumnName = nameof(ImageRow.ImagePath);
        options.OutputColumnName = FeaturesColumn;
        return ml.Transforms.LoadCnnImages(options);
    }

    /// <summary>The image step with the default settings for square images of <paramref name="imageSize"/> pixels a side.</summary>
    public static CnnImageEstimator Create(MLContext ml, int imageSize) =>
        Create(ml, new CnnImageOptions { Width = imageSize, Height = imageSize });

    /// <summary>The rows as an ML.NET data view, with the schema of <see cref="ImageRow"/>.</summary>
    public static IDataView Load(MLContext ml, IEnumerable<ImageRow> rows) => ml.Data.LoadFromEnumerable(rows);

    /// <summary>Loads a model.zip, checking that it is a model that scores image paths.</summary>
    /// <exception cref="CliException">The file is missing, not an ML.NET model, or not one this tool made.</exception>
    public static ITransformer LoadModel(MLContext ml, string path)
    {
        if (!File.Exists(path))
            throw new CliException(Directory.Exists(path) ? $"The model '{path}' is a folder; pass the model.zip that train wrote." : $"The model file '{path}' does not exist.");
        // ML.NET finds loaders by scanning loaded assemblies: make sure those a model may need are loaded (models of
        // earlier releases start with ML.NET's own image steps).
        _ = typeof(CnnTransformer).Assembly;
        _ = typeof(Microsoft.ML.Data.ImageLoadingTransformer).Assembly;
        ITransformer model;
        DataViewSchema inputSchema;
        try
        {
            using var stream = File.OpenRead(path);
            model = ml.Model.Load(stream, out inputSchema);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new CliException($"'{path}' is not an ML.NET model ({e.Message.TrimEnd('.')}); pass the model.zip that 'mlnetcnn train' wrote.", e);
        }
        var output = model.GetOutputSchema(inputSchema);
        if (inputSchema.GetColumnOrNull(nameof(ImageRow.ImagePath)) is null || output.GetColumnOrNull(CnnTransformer.ProbabilityColumnName) is null)
        {
            (model as IDisposable)?.Dispose();
            throw new CliException($"'{path}' is an ML.NET model but not one of 'mlnetcnn train': it does not map an ImagePath column to Probability.");
        }
        return model;
    }
}
