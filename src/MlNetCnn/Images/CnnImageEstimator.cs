using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MlNetCnn.Images;
using SkiaSharp;

namespace MlNetCnn;

/// <summary>
/// The image step for <see cref="CnnEstimator"/>: from a column of image paths to the network's input, with the EXIF
/// orientation applied and transparency composited on a background (ML.NET's <c>LoadImages</c> does neither). Fitting
/// it only decides <see cref="ImageColorMode.Auto"/>: it looks at the training images until one is in colour.
/// </summary>
/// <example>
/// <code>
/// var pipeline = ml.Transforms.LoadCnnImages(new CnnImageOptions { ImageFolder = folder, Width = 64, Height = 64 })
///     .Append(new CnnEstimator(ml, new CnnOptions()));
/// </code>
/// </example>
public sealed class CnnImageEstimator : IEstimator<CnnImageTransformer>
{
    private readonly IHostEnvironment env;
    private readonly CnnImageOptions options;

    /// <summary>An image step with <paramref name="options"/> (copied: later changes to them do not reach it).</summary>
    /// <exception cref="ArgumentException">An option is out of range; the message names it.</exception>
    public CnnImageEstimator(MLContext mlContext, CnnImageOptions? options = null)
        : this((IHostEnvironment)(mlContext ?? throw new ArgumentNullException(nameof(mlContext))), options)
    {
    }

    internal CnnImageEstimator(IHostEnvironment env, CnnImageOptions? options)
    {
        this.env = env;
        options ??= new CnnImageOptions();
        options.Validate();
        this.options = new CnnImageOptions
        {
            InputColumnName = options.InputColumnName,
            OutputColumnName = options.OutputColumnName,
            ImageFolder = options.ImageFolder,
            Width = options.Width,
            Height = options.Height,
            Resize = options.Resize,
            ColorMode = options.ColorMode,
            Background = options.Background,
        };
    }

    /// <summary>The input schema plus the image column (a known-size Single vector).</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        if (!inputSchema.TryFindColumn(options.InputColumnName, out var path))
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"The input has no column '{options.InputColumnName}', which should hold the image file paths.");
        if (path.Kind != SchemaShape.Column.VectorKind.Scalar || path.ItemType is not TextDataViewType)
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Column '{options.InputColumnName}' is {path.ItemType} ({path.Kind}); it must be text (the image file paths).");
        var columns = inputSchema.ToDictionary(c => c.Name);
        columns[options.OutputColumnName] = new SchemaShape.Column(options.OutputColumnName, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false);
        return new SchemaShape(columns.Values);
    }

    /// <summary>
    /// The image step; under <see cref="ImageColorMode.Auto"/>, colour when an image of <paramref name="input"/> is. An
    /// image that cannot be read is passed over here: reading its row fails naming it, or
    /// <see cref="CnnOptions.SkipUnreadableRows"/> leaves it out.
    /// </summary>
    public CnnImageTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var pathColumn = CnnImageTransformer.CheckPathColumn(input.Schema, options.InputColumnName);
        var channels = options.ColorMode switch
        {
            ImageColorMode.Color => 3,
            ImageColorMode.Grayscale => 1,
            _ => AnyInColor(input, pathColumn) ? 3 : 1,
        };
        return new CnnImageTransformer(env, options.InputColumnName, options.OutputColumnName, options.ImageFolder,
            options.Width, options.Height, channels, options.Resize, options.Background);
    }

    private bool AnyInColor(IDataView input, DataViewSchema.Column pathColumn)
    {
        var settings = new ImageSettings(options.Width, options.Height, 3, options.Resize, SKColors.White);
        using var cursor = input.GetRowCursor(new[] { pathColumn });
        var getter = cursor.GetGetter<ReadOnlyMemory<char>>(pathColumn);
        var text = default(ReadOnlyMemory<char>);
        while (cursor.MoveNext())
        {
            getter(ref text);
            var file = text.ToString();
            if (string.IsNullOrWhiteSpace(file))
                continue;
            if (options.ImageFolder is { } folder)
                file = Path.Combine(folder, file);
            try
            {
                if (ImageDecoder.IsColor(file, settings))
                    return true;
            }
            catch (InvalidDataException)
            {
                // Whether it is read or left out is for the step that reads the rows to say, once.
            }
        }
        return false;
    }
}
