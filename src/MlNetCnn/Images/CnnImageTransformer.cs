using System.Drawing;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MlNetCnn;
using MlNetCnn.Images;
using MlNetCnn.Persistence;
using SkiaSharp;

[assembly: LoadableClass(typeof(CnnImageTransformer), null, typeof(SignatureLoadModel), "MlNetCnn image step", CnnImageFormat.LoaderSignature)]

namespace MlNetCnn;

/// <summary>
/// Reads image files into the network's input, as a viewer shows them: the EXIF orientation applied, transparent
/// pixels composited on <see cref="Background"/>, resized by <see cref="Resize"/> in one high-quality resampling, and
/// written as <see cref="Channels"/> planes (R, G, B, or luma) of values in [0, 1]. Saved in the model zip, so
/// evaluation and prediction see the images exactly as training did.
/// </summary>
/// <remarks>Images are decoded lazily, once per row read. A file that cannot be read whole fails its row with an error naming it.</remarks>
public sealed class CnnImageTransformer : ITransformer
{
    internal CnnImageTransformer(IHostEnvironment env, string inputColumnName, string outputColumnName, string? imageFolder,
        int width, int height, int channels, ImageResizeMode resize, Color background)
    {
        Host = env.Register(nameof(CnnImageTransformer));
        InputColumnName = inputColumnName;
        OutputColumnName = outputColumnName;
        ImageFolder = imageFolder;
        Resize = resize;
        Background = background;
        Settings = new ImageSettings(width, height, channels, resize, new SKColor(background.R, background.G, background.B, 255));
    }

    internal IHost Host { get; }

    internal ImageSettings Settings { get; }

    /// <summary>The text column of image paths.</summary>
    public string InputColumnName { get; }

    /// <summary>The column made: Single values, channels × height × width.</summary>
    public string OutputColumnName { get; }

    /// <summary>The folder relative paths are read from; null for paths as given.</summary>
    public string? ImageFolder { get; }

    /// <summary>The shape of each image made: channels (1 grey, 3 colour) × height × width.</summary>
    public ImageGeometry Geometry => Settings.Geometry;

    /// <summary>1 for grey (luma), 3 for colour (R, G, B).</summary>
    public int Channels => Settings.Channels;

    /// <summary>How other aspect ratios are brought to size.</summary>
    public ImageResizeMode Resize { get; }

    /// <summary>What transparent pixels and padded margins show.</summary>
    public Color Background { get; }

    /// <summary>One line for logs and help: size, colour, resize mode, background.</summary>
    public string Describe() =>
        $"{Settings.Width}×{Settings.Height} {(Channels == 1 ? "grey" : "colour")}, {Resize}, background #{Background.R:X2}{Background.G:X2}{Background.B:X2}, EXIF orientation applied";

    /// <summary>
    /// Null when the file at <paramref name="path"/> decodes whole as an image (what this step reads); otherwise why
    /// not, naming the file: it cannot be opened, is empty, is no image SkiaSharp decodes, is truncated, or is too
    /// large. The one check the image step, and MlNetCnn's command line before it, make of an image.
    /// </summary>
    public static string? CheckImage(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return ImageDecoder.Problem(path);
    }

    bool ITransformer.IsRowToRowMapper => true;

    /// <summary>The input schema plus the image column; throws when the path column is missing or not text.</summary>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        CheckInput(inputSchema);
        return ImageColumn.Build(inputSchema, this);
    }

    /// <summary>Adds the image column to <paramref name="input"/>, lazily.</summary>
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new ImageColumnView(this, input, CheckInput(input.Schema));
    }

    /// <summary>A row-at-a-time mapper, as prediction engines use.</summary>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        return new ImageRowMapper(this, inputSchema, CheckInput(inputSchema));
    }

    void ICanSaveModel.Save(ModelSaveContext ctx) => CnnImageFormat.Save(this, ctx);

    // Found by ML.NET's component catalog through the LoadableClass attribute above.
    private static CnnImageTransformer Create(IHostEnvironment env, ModelLoadContext ctx) => CnnImageFormat.Load(env, ctx);

    internal static DataViewSchema.Column CheckPathColumn(DataViewSchema schema, string name)
    {
        var column = schema.GetColumnOrNull(name)
            ?? throw new ArgumentOutOfRangeException(nameof(schema), $"The input has no column '{name}', which should hold the image file paths.");
        if (column.Type is not TextDataViewType)
            throw new ArgumentOutOfRangeException(nameof(schema), $"Column '{name}' is {column.Type}; it must be text (the image file paths).");
        return column;
    }

    private DataViewSchema.Column CheckInput(DataViewSchema schema) => CheckPathColumn(schema, InputColumnName);
}
