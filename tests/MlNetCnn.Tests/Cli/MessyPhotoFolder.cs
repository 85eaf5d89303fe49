using System.Text;
using MlNetCnn.Tests.Support;
using SkiaSharp;

namespace MlNetCnn.Tests.Cli;

/// <summary>
/// A folder of two classes as people keep photos: class folders with spaces in their names, images one and two levels
/// down, JPEGs with EXIF orientations, PNGs with transparency, grey and colour, upper-case extensions, non-ASCII names in
/// both Unicode normalisations, and files that are not images (notes, .DS_Store, Thumbs.db) plus a hidden folder.
/// The positive class ("ankle boot") has a bright block top-left, the negative ("sneaker") bottom-right.
/// </summary>
public static class MessyPhotoFolder
{
    /// <summary>The positive class folder's name.</summary>
    public const string Positive = "ankle boot";
    /// <summary>The negative class folder's name.</summary>
    public const string Negative = "sneaker";
    /// <summary>Files under the folder that are not images (relative paths; the hidden folder ends in '/').</summary>
    public static readonly string[] NotImages = ["notes.txt", $"{Positive}/.DS_Store", $"{Negative}/Thumbs.db", $"{Negative}/2024/readme.md", $"{Positive}/.thumbnails/"];

    /// <summary>Writes the folder; returns the relative path of every image, by class.</summary>
    public static (string[] Positives, string[] Negatives) Write(string folder, int perClass = 10, int seed = 1)
    {
        var random = new Random(seed);
        var positives = new List<string>();
        var negatives = new List<string>();
        for (var i = 0; i < perClass; i++)
        {
            positives.Add(WriteOne(folder, Positive, i, positive: true, random));
            negatives.Add(WriteOne(folder, Negative, i, positive: false, random));
        }
        File.WriteAllText(Path.Combine(folder, "notes.txt"), "photos from the shop");
        File.WriteAllBytes(Path.Combine(folder, Positive, ".DS_Store"), [0, 0, 0, 1]);
        File.WriteAllBytes(Path.Combine(folder, Negative, "Thumbs.db"), [0xD0, 0xCF]);
        Directory.CreateDirectory(Path.Combine(folder, Negative, "2024"));
        File.WriteAllText(Path.Combine(folder, Negative, "2024", "readme.md"), "# summer");
        Directory.CreateDirectory(Path.Combine(folder, Positive, ".thumbnails"));
        File.WriteAllBytes(Path.Combine(folder, Positive, ".thumbnails", "0.png"), File.ReadAllBytes(Path.Combine(folder, positives[0])));
        return (positives.ToArray(), negatives.ToArray());
    }

    // Image i of a class: its kind and place go round the list, so every kind appears in both classes.
    private static string WriteOne(string folder, string cls, int i, bool positive, Random random)
    {
        var (relative, kind) = (i % 7) switch
        {
            0 => ($"{cls}/photo {i:D2}.jpg", "jpeg"),
            1 => ($"{cls}/2024/summer/IMG_{i:D4}.JPG", "exif6"),
            2 => ($"{cls}/2024/transparent {i}.png", "alpha"),
            3 => ($"{cls}/bottes-été-{i}.png".Normalize(NormalizationForm.FormD), "grey"),
            4 => ($"{cls}/ßchuh-{i}.PNG", "png"),
            5 => ($"{cls}/2023/IMG_{i:D4}.jpeg", "exif3"),
            _ => ($"{cls}/ウェブ {i}.webp", "webp"),
        };
        var path = Path.Combine(folder, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var upright = Picture(positive, random, transparent: kind == "alpha");
        switch (kind)
        {
            case "exif6":
                PhotoFiles.WriteJpegWithOrientation(path, upright, 6);
                break;
            case "exif3":
                PhotoFiles.WriteJpegWithOrientation(path, upright, 3);
                break;
            case "grey":
                using (var grey = PhotoFiles.Grey(upright))
                    PhotoFiles.Write(path, grey, SKEncodedImageFormat.Png);
                break;
            case "jpeg":
                PhotoFiles.Write(path, upright, SKEncodedImageFormat.Jpeg);
                break;
            case "webp":
                PhotoFiles.Write(path, upright, SKEncodedImageFormat.Webp);
                break;
            default:
                PhotoFiles.Write(path, upright, SKEncodedImageFormat.Png);
                break;
        }
        return relative;
    }

    // 32×24 (landscape, so that orientation matters), brownish noise, a bright block in the class's corner.
    private static SKBitmap Picture(bool positive, Random random, bool transparent)
    {
        const int width = 32, height = 24;
        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
            {
                var inBlock = positive ? x < width / 2 && y < height / 2 : x >= width / 2 && y >= height / 2;
                var v = inBlock ? 200 + random.Next(56) : random.Next(60);
                var alpha = (byte)(transparent && !inBlock ? 0 : 255);
                bitmap.SetPixel(x, y, new SKColor((byte)v, (byte)(v * 0.8), (byte)(v * 0.6), alpha));
            }
        return bitmap;
    }
}
