using SkiaSharp;

namespace MlNetCnn.Tests.Support;

/// <summary>Writes synthetic images as real PNG files, with a labels.csv beside them (ImagePath,Label).</summary>
public static class PngFolder
{
    public sealed record Entry(string ImagePath, bool Label);

    /// <summary>Writes <paramref name="count"/> colour PNGs of <paramref name="side"/> pixels: the synthetic classes, scaled up.</summary>
    public static List<Entry> Write(string folder, int count, int seed, int side = 40)
    {
        Directory.CreateDirectory(folder);
        var random = new Random(seed);
        var entries = new List<Entry>();
        for (var i = 0; i < count; i++)
        {
            var label = i % 2 == 0;
            var pixels = SyntheticImages.Image(label, random);
            var name = $"img{i:D4}.png";
            using (var bitmap = new SKBitmap(side, side, SKColorType.Rgba8888, SKAlphaType.Opaque))
            {
                for (var y = 0; y < side; y++)
                for (var x = 0; x < side; x++)
                {
                    var v = pixels[y * ImageRow.Side / side * ImageRow.Side + x * ImageRow.Side / side];
                    var b = (byte)Math.Clamp(v * 255, 0, 255);
                    bitmap.SetPixel(x, y, new SKColor(b, (byte)(b / 2), (byte)(255 - b)));
                }
                using var image = SKImage.FromBitmap(bitmap);
                using var data = image.Encode(SKEncodedImageFormat.Png, 100);
                File.WriteAllBytes(Path.Combine(folder, name), data.ToArray());
            }
            entries.Add(new Entry(name, label));
        }
        File.WriteAllLines(Path.Combine(folder, "labels.csv"), new[] { "ImagePath,Label" }.Concat(entries.Select(e => $"{e.ImagePath},{(e.Label ? "true" : "false")}")));
        return entries;
    }
}
