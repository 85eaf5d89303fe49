using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace MlNetCnn.Cli.Data;

/// <summary>
/// The image steps before the network: LoadImages → ResizeImages → ConvertToGrayscale → ExtractPixels (one channel,
/// scaled to [0, 1]). Saved inside model.zip with the network, so a model scores image paths directly.
/// </summary>
/// <remarks>
/// LoadImages decodes every file to 32-bit colour, so a grayscale PNG would come out of ExtractPixels as three equal
/// channels. ConvertToGrayscale then extracting one channel gives the network a true 1×H×W image: a third of the
/// first layer's work, and colour images are reduced the same way rather than rejected.
/// </remarks>
internal static class ImagePipeline
{
    /// <summary>Column holding the decoded image.</summary>
    public const string ImageColumn = "Image";
    /// <summary>Column holding the network's input: 1×H×W Single values in [0, 1].</summary>
    public const string FeaturesColumn = "Features";
    /// <summary>Pixel values 0–255 become 0–1.</summary>
    public const float PixelScale = 1f / 255f;

    /// <summary>The image steps for square images of <paramref name="imageSize"/> pixels a side.</summary>
    public static IEstimator<ITransformer> Create(MLContext ml, int imageSize) =>
        ml.Transforms.LoadImages(ImageColumn, imageFolder: null, inputColumnName: nameof(ImageRow.ImagePath))
            .Append(ml.Transforms.ResizeImages(ImageColumn, imageSize, imageSize, ImageColumn, ImageResizingEstimator.ResizingKind.Fill))
            .Append(ml.Transforms.ConvertToGrayscale(ImageColumn))
            .Append(ml.Transforms.ExtractPixels(FeaturesColumn, ImageColumn,
                colorsToExtract: ImagePixelExtractingEstimator.ColorBits.Red, scaleImage: PixelScale))
            .Append(ml.Transforms.DropColumns(ImageColumn));

    /// <summary>The rows as an ML.NET data view, with the schema of <see cref="ImageRow"/>.</summary>
    public static IDataView Load(MLContext ml, IEnumerable<ImageRow> rows) => ml.Data.LoadFromEnumerable(rows);

    /// <summary>Loads a model.zip, checking that it is a model that scores image paths.</summary>
    /// <exception cref="CliException">The file is missing, not an ML.NET model, or not one this tool made.</exception>
    public static ITransformer LoadModel(MLContext ml, string path)
    {
        if (!File.Exists(path))
            throw new CliException(Directory.Exists(path) ? $"The model '{path}' is a folder; pass the model.zip that train wrote." : $"The model file '{path}' does not exist.");
        // ML.NET finds loaders by scanning loaded assemblies: make sure the two this model needs are loaded.
        _ = typeof(CnnTransformer).Assembly;
        _ = typeof(ImageLoadingTransformer).Assembly;
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
