using System.Globalization;
using System.Text.RegularExpressions;
using SkiaSharp;

namespace MlNetCnn.Tests.Cli;

public sealed class LrFindCommandTests
{
    [Fact]
    public void Lr_find_prints_the_suggested_rate_and_writes_lr_find_png_with_the_suggestion_marked()
    {
        using var temp = new CliTempFolder();
        var train = TinyImageFolder.Write(temp["train"], perClass: 16, seed: 1);
        var output = temp["out"];

        var run = CliRun.Of("lr-find", "--train", train, "--image-size", "36", "--batch-size", "4", "--seed", "3", "--out", output).Succeeded();

        var suggestion = Regex.Match(run.Out, @"Suggested learning rate: (\S+) \(a tenth of the rate at the lowest smoothed loss\)\. Train with --lr \1\.");
        Assert.True(suggestion.Success, run.Out);
        var rate = double.Parse(suggestion.Groups[1].Value, CultureInfo.InvariantCulture);
        var lowest = Regex.Match(run.Out, @"at a learning rate of (\S+?)[;,]");
        Assert.Equal(rate * 10, double.Parse(lowest.Groups[1].Value, CultureInfo.InvariantCulture), rate * 1e-2);
        Assert.Matches(@"\d+ batches in [\d.]+ s\.", run.Out);

        using var plot = SKBitmap.Decode(Path.Combine(output, "lr-find.png"));
        Assert.Equal((640, 480), (plot.Width, plot.Height));
        var marker = new SKColor(0x2c, 0xa0, 0x2c);
        var marked = Enumerable.Range(0, plot.Width).Any(x => Enumerable.Range(0, plot.Height).Any(y => plot.GetPixel(x, y) == marker));
        Assert.True(marked, "no suggestion marker in lr-find.png");
        Assert.Empty(Directory.GetFiles(output, "*.tmp"));
    }

    [Fact]
    public void Lr_find_refuses_bad_options_and_folders_with_one_error_line()
    {
        using var temp = new CliTempFolder();
        var train = TinyImageFolder.Write(temp["train"], perClass: 4, seed: 1);

        CliRun.Of("lr-find", "--train", train, "--batch-size", "1", "--out", temp["a"]).FailedWith("--batch-size 1: BatchSize must be at least 2");
        CliRun.Of("lr-find", "--train", train, "--image-size", "20", "--out", temp["b"]).FailedWith("--image-size 20: Images of 1×20×20 are too small for this network");
        CliRun.Of("lr-find", "--train", temp["missing"], "--out", temp["c"]).FailedWith("does not exist");
    }
}
