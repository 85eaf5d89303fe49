using Microsoft.ML;

namespace MlNetCnn.Tests.Support;

/// <summary>The repository's shipped Fashion-MNIST folders (data/train, data/valid: labels.csv plus PNGs) as ML.NET sees them.</summary>
public static class ShippedImages
{
    /// <summary>Side the tests resize the shipped images to.</summary>
    public const int Side = 36;

    /// <summary>The repository's data/ folder, found upwards from the test binaries.</summary>
    public static string DataFolder { get; } = FindDataFolder();

    /// <summary>Rows of data/<paramref name="split"/>: ImagePath (absolute) and Label.</summary>
    public static IDataView Rows(MLContext ml, string split, int? take = null)
    {
        var rows = File.ReadLines(Path.Combine(DataFolder, split, "labels.csv")).Skip(1)
            .Select(line => line.Split(','))
            .Select(parts => new ImageRow { ImagePath = Path.Combine(DataFolder, split, parts[0]), Label = bool.Parse(parts[1]) });
        return ml.Data.LoadFromEnumerable((take is { } n ? rows.Take(n) : rows).ToList());
    }

    /// <summary>LoadImages → ResizeImages(36×36) → ExtractPixels(RGB, 1/255): the README's image steps, features 3×36×36.</summary>
    public static IEstimator<ITransformer> ImageSteps(MLContext ml) =>
        ml.Transforms.LoadImages("Image", null, "ImagePath")
            .Append(ml.Transforms.ResizeImages("Image", Side, Side))
            .Append(ml.Transforms.ExtractPixels("Features", "Image", scaleImage: 1f / 255));

    private static string FindDataFolder()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "MlNetCnn.sln")))
                return Path.Combine(folder.FullName, "data");
        }
        throw new DirectoryNotFoundException($"No MlNetCnn.sln above {AppContext.BaseDirectory}; the tests read the shipped data/ folder.");
    }

    /// <summary>One row of labels.csv.</summary>
    public sealed class ImageRow
    {
        public string ImagePath { get; set; } = "";
        public bool Label { get; set; }
    }
}
