using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using MlNetCnn.Onnx;

namespace MlNetCnn;

/// <summary>What a whole fitted pipeline that ends in a <see cref="CnnTransformer"/> can do beyond ML.NET's own calls.</summary>
public static class CnnModel
{
    /// <summary>The pipeline's <see cref="CnnTransformer"/> (the last one, in nested chains too); throws when it has none.</summary>
    public static CnnTransformer FindCnn(this ITransformer model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Steps(model).OfType<CnnTransformer>().LastOrDefault()
            ?? throw new ArgumentException($"The model ({model.GetType().Name}) holds no CnnTransformer.", nameof(model));
    }

    /// <summary>
    /// The same pipeline with its <see cref="CnnTransformer"/> scoring through <paramref name="engine"/> with
    /// <paramref name="threads"/> intra-op threads (null: the engine's default). The other steps are shared with
    /// <paramref name="model"/>, which is unchanged.
    /// </summary>
    public static ITransformer WithScoringEngine(this ITransformer model, ScoringEngine engine, int? threads = null)
    {
        var cnn = model.FindCnn();
        return Replace(model, cnn, cnn.WithScoringEngine(engine, threads));
    }

    /// <summary>
    /// The same pipeline with its <see cref="CnnTransformer"/> scoring in <paramref name="precision"/> (see
    /// <see cref="CnnTransformer.WithScoringPrecision"/>). The other steps are shared with <paramref name="model"/>,
    /// which is unchanged.
    /// </summary>
    public static ITransformer WithScoringPrecision(this ITransformer model, Precision precision)
    {
        var cnn = model.FindCnn();
        return Replace(model, cnn, cnn.WithScoringPrecision(precision));
    }

    /// <summary>
    /// Writes the pipeline's network as ONNX (see <see cref="CnnTransformer.ExportOnnx(string)"/>), with the image
    /// steps that feed it in the metadata: the pixel scaling, colours and order of the ExtractPixels step that makes
    /// its feature column, the resize step and whether the images were made grey. Written atomically.
    /// </summary>
    public static void ExportOnnx(this ITransformer model, string path)
    {
        var cnn = model.FindCnn();
        cnn.ExportOnnx(path, PreprocessingFacts(model, cnn));
    }

    /// <summary>As <see cref="ExportOnnx(ITransformer, string)"/>, to a stream.</summary>
    public static void ExportOnnx(this ITransformer model, Stream stream)
    {
        var cnn = model.FindCnn();
        cnn.ExportOnnx(stream, PreprocessingFacts(model, cnn));
    }

    private static IEnumerable<ITransformer> Steps(ITransformer model) =>
        model is IEnumerable<ITransformer> chain ? chain.SelectMany(Steps) : new[] { model };

    private static ITransformer Replace(ITransformer model, CnnTransformer old, CnnTransformer replacement)
    {
        if (ReferenceEquals(model, old))
            return replacement;
        if (model is IEnumerable<ITransformer> chain)
            return new TransformerChain<ITransformer>(chain.Select(step => Replace(step, old, replacement)).ToArray());
        return model;
    }

    private static Dictionary<string, string> PreprocessingFacts(ITransformer model, CnnTransformer cnn)
    {
        var facts = new Dictionary<string, string>(StringComparer.Ordinal);
        var steps = Steps(model).ToList();
        if (steps.OfType<CnnImageTransformer>().LastOrDefault(t => t.OutputColumnName == cnn.FeatureColumnName) is { } own)
        {
            facts[OnnxMetadata.ImageStep] = own.Describe();
            facts[OnnxMetadata.PixelScaling] = "scale 1/255, offset 0 (feature = pixel / 255, pixel in 0–255, after the image step)";
            facts[OnnxMetadata.PixelScale] = (1f / 255).ToString("R", CultureInfo.InvariantCulture);
            facts[OnnxMetadata.PixelOffset] = "0";
            facts[OnnxMetadata.ColorBits] = own.Channels == 1 ? "Luma" : "Rgb";
            facts[OnnxMetadata.ColorOrder] = "RGB";
            facts[OnnxMetadata.Interleave] = "false";
            facts[OnnxMetadata.Resize] = $"{own.Geometry.Width}×{own.Geometry.Height}, {own.Resize}";
            facts[OnnxMetadata.ResizeMode] = own.Resize.ToString();
            facts[OnnxMetadata.Grayscale] = own.Channels == 1 ? "true" : "false";
            facts[OnnxMetadata.Background] = $"#{own.Background.R:X2}{own.Background.G:X2}{own.Background.B:X2}";
            return facts;
        }
        var pixels = steps.OfType<ImagePixelExtractingTransformer>()
            .SelectMany(t => t.Columns).LastOrDefault(c => c.Name == cnn.FeatureColumnName);
        if (pixels is null)
            return facts;
        facts[OnnxMetadata.PixelScaling] = string.Create(CultureInfo.InvariantCulture,
            $"scale {pixels.ScaleImage:R}, offset {pixels.OffsetImage:R} (feature = (pixel + offset) × scale, pixel in 0–255)");
        facts[OnnxMetadata.PixelScale] = pixels.ScaleImage.ToString("R", CultureInfo.InvariantCulture);
        facts[OnnxMetadata.PixelOffset] = pixels.OffsetImage.ToString("R", CultureInfo.InvariantCulture);
        facts[OnnxMetadata.ColorBits] = pixels.ColorsToExtract.ToString();
        facts[OnnxMetadata.ColorOrder] = pixels.OrderOfExtraction.ToString();
        facts[OnnxMetadata.Interleave] = pixels.InterleavePixelColors ? "true" : "false";
        var image = pixels.InputColumnName;
        var resize = steps.OfType<ImageResizingTransformer>().SelectMany(t => t.Columns).LastOrDefault(c => c.Name == image);
        if (resize is not null)
        {
            facts[OnnxMetadata.Resize] = $"{resize.ImageWidth}×{resize.ImageHeight}, {resize.Resizing}, {resize.Anchor}";
            facts[OnnxMetadata.ResizeMode] = resize.Resizing.ToString();
            facts[OnnxMetadata.ResizeAnchor] = resize.Anchor.ToString();
        }
        facts[OnnxMetadata.Grayscale] = steps.OfType<ImageGrayscalingTransformer>().SelectMany(t => t.Columns)
            .Any(c => c.outputColumnName == image || (resize is not null && c.outputColumnName == resize.InputColumnName)) ? "true" : "false";
        return facts;
    }
}
