using SkiaSharp;

namespace MlNetCnn.Tests.Cli;

/// <summary>
/// Writes tiny, easily separable grey images: the positive class has a bright block in the top-left quarter,
/// the negative class in the bottom-right, both on faint seeded noise.
/// </summary>
public static class TinyImageFolder
{
    /// <summary>Side of each image, in pixels.</summary>
    public const int Side = 12;

    /// <summary>Writes <paramref name="perClass"/> images of each class as <c>pos/</c> and <c>neg/</c> plus a labels.csv.</summary>
    public static string Write(string folder, int perClass, int seed)
    {
        var random = new Random(seed);
        Directory.CreateDirectory(folder);
        var csv = new List<string> { "ImagePath,Label" };
        foreach (var positive in new[] { true, false })
        {
            var cls = positive ? "pos" : "neg";
            Directory.CreateDirectory(Path.Combine(folder, cls));
            for (var i = 0; i < perClass; i++)
            {
                var relative = $"{cls}/{i:D3}.png";
                WriteImage(Path.Combine(folder, relative), positive, random);
                csv.Add($"{relative},{(positive ? "true" : "false")}");
            }
        }
        File.WriteAllLines(Path.Combine(folder, "labels.csv"), csv);
        return folder;
    }

    private static void WriteImage(string path, bool positive, Random random)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(Side, Side, SKColorType.Gray8, SKAlphaType.Opaque));
        var half = Side / 2;
        for (var y = 0; y < Side; y++)
        {
            for (var x = 0; x < Side; x++)
            {
                var inBlock = positive ? x < half && y < half : x >= half && y >= half;
                var value = inBlock ? 200 + random.Next(56) : random.Next(40);
                bitmap.SetPixel(x, y, new SKColor((byte)value, (byte)value, (byte)value));
            }
        }
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        using var file = File.Create(path);
        data.SaveTo(file);
    }
}
