using MlNetCnn.Persistence;
using System.Drawing;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace MlNetCnn.Images;

/// <summary>The versioned form of a <see cref="CnnImageTransformer"/> inside an ML.NET model zip.</summary>
internal static class CnnImageFormat
{
    /// <summary>Names the loader in the zip; ML.NET finds it through the LoadableClass attribute on CnnImageTransformer.</summary>
    public const string LoaderSignature = "MlNetCnnImageStep";

    /// <summary>The eight-character model signature.</summary>
    public const string ModelSignature = "MLNCNIMG";

    // 0x00010001: first format.
    private const uint VersionWritten = 0x00010001;

    private static VersionInfo GetVersionInfo() => new(
        modelSignature: ModelSignature,
        verWrittenCur: VersionWritten,
        verReadableCur: VersionWritten,
        verWeCanReadBack: VersionWritten,
        loaderAssemblyName: typeof(CnnImageFormat).Assembly.FullName,
        loaderSignature: LoaderSignature);

    // *** Binary format ***
    // string (string table): input column name; string: output column name
    // string or null (string table): image folder
    // int: width; int: height; int: channels (1 or 3)
    // int: resize mode (0 stretch, 1 centre crop, 2 pad)
    // int: background, 0xAARRGGBB (alpha 255)

    public static void Save(CnnImageTransformer transformer, ModelSaveContext ctx)
    {
        ctx.CheckAtModel();
        ctx.SetVersionInfo(GetVersionInfo());
        ctx.SaveNonEmptyString(transformer.InputColumnName);
        ctx.SaveNonEmptyString(transformer.OutputColumnName);
        ctx.SaveStringOrNull(transformer.ImageFolder);
        var g = transformer.Geometry;
        ctx.Writer.Write(g.Width);
        ctx.Writer.Write(g.Height);
        ctx.Writer.Write(g.Channels);
        ctx.Writer.Write((int)transformer.Resize);
        ctx.Writer.Write(transformer.Background.ToArgb());
    }

    public static CnnImageTransformer Load(IHostEnvironment env, ModelLoadContext ctx)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(ctx);
        ctx.CheckAtModel(GetVersionInfo());
        var input = ctx.LoadNonEmptyString();
        var output = ctx.LoadNonEmptyString();
        var folder = ctx.LoadStringOrNull();
        var width = ctx.Reader.ReadInt32();
        var height = ctx.Reader.ReadInt32();
        var channels = ctx.Reader.ReadInt32();
        var resize = (ImageResizeMode)ctx.Reader.ReadInt32();
        var background = Color.FromArgb(ctx.Reader.ReadInt32());
        if (width is < 1 or > CnnImageOptions.MaxImageSize || height is < 1 or > CnnImageOptions.MaxImageSize)
            throw Damaged($"image size {width}×{height} is out of range");
        if (channels is not (1 or 3))
            throw Damaged($"{channels} channels is neither 1 nor 3");
        if (!Enum.IsDefined(resize))
            throw Damaged($"resize mode {(int)resize} is unknown");
        if (background.A != 255)
            throw Damaged($"the background is not opaque (alpha {background.A})");
        return new CnnImageTransformer(env, input, output, folder, width, height, channels, resize, background);
    }

    private static InvalidDataException Damaged(string what) =>
        new($"The model's image step is damaged: {what}. Train the model again or use an undamaged copy.");
}
