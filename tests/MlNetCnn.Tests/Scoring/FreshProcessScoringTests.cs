using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetCnn.Tests.Onnx;
using MlNetCnn.Tests.Support;

namespace MlNetCnn.Tests.Scoring;

public sealed class FreshProcessScoringTests : IClassFixture<ShippedImagesModel>
{
    private readonly ShippedImagesModel m;

    public FreshProcessScoringTests(ShippedImagesModel m) => this.m = m;

    [Fact]
    public void A_process_that_only_loads_and_scores_never_maps_libtorch_and_gives_bit_identical_scores()
    {
        using var folder = new TempFolder();
        var path = folder.File("model.zip");
        m.Ml.Model.Save(m.Pipeline, m.ValidRows.Schema, path);
        var images = m.ValidRows.GetColumn<string>("ImagePath").Take(64).ToArray();
        var expected = Scores.Column(m.Pipeline.Transform(m.Ml.Data.LoadFromEnumerable(images.Select(p => new ShippedImages.ImageRow { ImagePath = p }).ToList())));

        var (scores, native) = RunProbe(path, images);

        Assert.Contains("libonnxruntime.so", native);
        Assert.DoesNotContain(native, lib => lib.Contains("torch", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(expected, scores);
    }

    [Fact]
    public void A_model_saved_with_the_LibTorch_engine_maps_libtorch_in_a_fresh_process_and_scores_bit_identically()
    {
        using var folder = new TempFolder();
        var path = folder.File("model.zip");
        var model = m.Pipeline.WithScoringEngine(ScoringEngine.LibTorch);
        m.Ml.Model.Save(model, m.ValidRows.Schema, path);
        var images = m.ValidRows.GetColumn<string>("ImagePath").Take(64).ToArray();
        var expected = Scores.Column(model.Transform(m.Ml.Data.LoadFromEnumerable(images.Select(p => new ShippedImages.ImageRow { ImagePath = p }).ToList())));

        var (scores, native) = RunProbe(path, images);

        Assert.Contains(native, lib => lib.StartsWith("libtorch", StringComparison.Ordinal));
        Assert.Equal(expected, scores);
    }

    private static (float[] Scores, string[] Native) RunProbe(string model, IEnumerable<string> images)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "MlNetCnn.ScoringProbe.dll"));
        start.ArgumentList.Add(model);
        foreach (var image in images)
            start.ArgumentList.Add(image);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var lines = process.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(process.WaitForExit(120_000), "the probe did not finish in two minutes");
        Assert.True(process.ExitCode == 0, $"the probe failed ({process.ExitCode}): {stderr.Result}");
        var native = lines[^1].StartsWith("native:", StringComparison.Ordinal) ? lines[^1]["native:".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries) : throw new InvalidOperationException(string.Join("\n", lines));
        return (lines[..^1].Select(l => float.Parse(l, CultureInfo.InvariantCulture)).ToArray(), native);
    }
}
