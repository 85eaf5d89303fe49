using Microsoft.ML;
using Microsoft.ML.Data;
using SkiaSharp;

namespace MlNetCnn.Bench;

/// <summary>One row of the PNG pipeline's input.</summary>
internal sealed class ImageInput
{
    public string ImagePath { get; set; } = "";
    public bool Label { get; set; }
}

/// <summary>One row of already-extracted pixels (C×H×W floats in [0, 1]).</summary>
internal sealed class FeatureRow
{
    public float[] Features { get; set; } = Array.Empty<float>();
    public bool Label { get; set; }
}

/// <summary>
/// The same images three ways: PNG files in a temporary folder (for the pipeline), the float tensors the image stages
/// make from them (for the plain loop and for PyTorch), and an in-memory view of those floats.
/// </summary>
internal sealed class ImageSet : IDisposable
{
    public const int Channels = 3;

    private ImageSet(string folder, int side, List<ImageInput> rows)
    {
        Folder = folder;
        Side = side;
        Rows = rows;
    }

    public string Folder { get; }
    public int Side { get; }
    public List<ImageInput> Rows { get; }
    public int Count => Rows.Count;
    public int ImageSize => Channels * Side * Side;

    /// <summary>Extracted pixels, image after image, as the pipeline's ExtractPixels makes them.</summary>
    public float[] Pixels { get; private set; } = Array.Empty<float>();
    public float[] Labels => Rows.Select(r => r.Label ? 1f : 0f).ToArray();

    /// <summary>Writes <paramref name="count"/> Fashion-MNIST images as RGB PNGs of <paramref name="sourceSide"/> pixels.</summary>
    public static ImageSet Write(int count, int side, int sourceSide)
    {
        var folder = Path.Combine(Path.GetTempPath(), $"mlnetcnn-bench-{Environment.ProcessId}-{side}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        var rows = new List<ImageInput>(count);
        var i = 0;
        foreach (var (pixels, label) in FashionMnist.SneakersAndBoots(count))
        {
            var path = Path.Combine(folder, $"img{i++:D5}.png");
            using var grey = new SKBitmap(new SKImageInfo(FashionMnist.Side, FashionMnist.Side, SKColorType.Rgba8888, SKAlphaType.Opaque));
            for (var y = 0; y < FashionMnist.Side; y++)
            for (var x = 0; x < FashionMnist.Side; x++)
            {
                var v = pixels[y * FashionMnist.Side + x];
                // Three different channels, so that RGB extraction is not three copies of one plane.
                grey.SetPixel(x, y, new SKColor(v, (byte)(v * 3 / 4), (byte)(255 - v)));
            }
            using var scaled = grey.Resize(new SKImageInfo(sourceSide, sourceSide, SKColorType.Rgba8888, SKAlphaType.Opaque), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Nearest)); // what SkiaSharp 2.88's SKFilterQuality.Medium was
            using var image = SKImage.FromBitmap(scaled);
            using var data = image.Encode(SKEncodedImageFormat.Png, 100);
            File.WriteAllBytes(path, data.ToArray());
            rows.Add(new ImageInput { ImagePath = path, Label = label });
        }
        return new ImageSet(folder, side, rows);
    }

    /// <summary>LoadImages → ResizeImages → ExtractPixels(scale 1/255): the image stages of the pipeline.</summary>
    public static IEstimator<ITransformer> ImageStages(MLContext ml, int side) =>
        ml.Transforms.LoadImages("Image", null, nameof(ImageInput.ImagePath))
            .Append(ml.Transforms.ResizeImages("Image", side, side))
            .Append(ml.Transforms.ExtractPixels("Features", "Image", scaleImage: 1f / 255));

    public IDataView RowsView(MLContext ml, int? take = null) =>
        ml.Data.LoadFromEnumerable(take is { } n ? Rows.Take(n).ToList() : Rows);

    /// <summary>The extracted pixels as a view with a C×H×W vector column, as CnnEstimator reads it.</summary>
    public IDataView FeatureView(MLContext ml, int? take = null)
    {
        var definition = SchemaDefinition.Create(typeof(FeatureRow));
        definition[nameof(FeatureRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, Channels, Side, Side);
        var rows = Enumerable.Range(0, take ?? Count)
            .Select(i => new FeatureRow { Features = Pixels.AsSpan(i * ImageSize, ImageSize).ToArray(), Label = Rows[i].Label })
            .ToList();
        return ml.Data.LoadFromEnumerable(rows, definition);
    }

    /// <summary>Runs the image stages over every PNG once, keeps the floats, and returns the seconds it took.</summary>
    public double ExtractPixels(MLContext ml)
    {
        var pixels = new float[Count * ImageSize];
        var seconds = ReadFeatures(ml, pixels);
        Pixels = pixels;
        return seconds;
    }

    /// <summary>Decodes, resizes and extracts every image through ML.NET into <paramref name="destination"/> (or nowhere).</summary>
    public double ReadFeatures(MLContext ml, float[]? destination)
    {
        var rows = RowsView(ml);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var view = ImageStages(ml, Side).Fit(rows).Transform(rows);
        var column = view.Schema["Features"];
        using var cursor = view.GetRowCursor(new[] { column });
        var getter = cursor.GetGetter<VBuffer<float>>(column);
        VBuffer<float> buffer = default;
        var i = 0;
        while (cursor.MoveNext())
        {
            getter(ref buffer);
            if (destination is not null)
                buffer.CopyTo(destination.AsSpan(i * ImageSize, ImageSize));
            i++;
        }
        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>Writes the pixels and labels as raw little-endian float32 files, for the PyTorch script.</summary>
    public (string Images, string Labels) WriteRaw()
    {
        var images = Path.Combine(Folder, "images.f32");
        var labels = Path.Combine(Folder, "labels.f32");
        File.WriteAllBytes(images, System.Runtime.InteropServices.MemoryMarshal.AsBytes(Pixels.AsSpan()).ToArray());
        File.WriteAllBytes(labels, System.Runtime.InteropServices.MemoryMarshal.AsBytes(Labels.AsSpan()).ToArray());
        return (images, labels);
    }

    public void Dispose()
    {
        try { Directory.Delete(Folder, recursive: true); }
        catch (IOException) { }
    }
}
