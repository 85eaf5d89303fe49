using System.Text.Json;

namespace MlNetCnn.Tests.Cli;

/// <summary>
/// Issue 6, item 1 at the command line: each damaged image stops train and predict with one error line that names
/// the file; unusual but valid PNGs (16-bit, palette, very large) are read and scored like their 8-bit originals.
/// </summary>
[Collection(TinyModelCollection.Name)]
public sealed class CliBadImageTests
{
    private readonly TinyModelFixture fixture;

    public CliBadImageTests(TinyModelFixture fixture) => this.fixture = fixture;

    /// <summary>The kinds of damage <see cref="OddPng.Damage"/> does to a PNG.</summary>
    public static TheoryData<string> Damages => [.. OddPng.Damages];

    [Theory]
    [MemberData(nameof(Damages))]
    public void Train_with_a_damaged_image_fails_naming_the_file(string damage)
    {
        var data = TinyImageFolder.Write(fixture.Scratch("bad"), perClass: 4, seed: 3);
        var broken = OddPng.Damage(Path.Combine(data, "neg", "002.png"), damage);
        var output = fixture.Scratch("out");

        CliRun.Of(TinyModelFixture.TrainArgs(data, fixture.Valid, output)).FailedWith($"The image '{broken}'");

        Assert.False(Directory.Exists(output) && Directory.EnumerateFileSystemEntries(output).Any());
    }

    [Theory]
    [MemberData(nameof(Damages))]
    public void Predict_on_a_damaged_image_fails_naming_the_file(string damage)
    {
        fixture.Run.Succeeded();
        var folder = fixture.Scratch("bad");
        Directory.CreateDirectory(folder);
        File.Copy(Path.Combine(fixture.Valid, "pos", "000.png"), Path.Combine(folder, "a.png"));
        var broken = Path.Combine(folder, "b.png");
        File.Copy(Path.Combine(fixture.Valid, "pos", "001.png"), broken);
        OddPng.Damage(broken, damage);

        CliRun.Of("predict", "--model", fixture.Model, folder).FailedWith($"The image '{broken}'");
    }

    [Fact]
    public void A_truncated_png_is_named_as_truncated_although_the_image_loader_would_read_zeros()
    {
        var data = TinyImageFolder.Write(fixture.Scratch("bad"), perClass: 4, seed: 3);
        var broken = OddPng.Damage(Path.Combine(data, "pos", "003.png"), "truncated");
        CliRun.Of(TinyModelFixture.TrainArgs(data, fixture.Valid, fixture.Scratch("out"))).FailedWith("is truncated");
        CliRun.Of("predict", "--model", fixture.Model, broken).FailedWith("is truncated");
    }

    [Fact]
    public void Train_with_labels_csv_naming_a_missing_file_fails_naming_it()
    {
        var data = TinyImageFolder.Write(fixture.Scratch("bad"), perClass: 4, seed: 3);
        File.Delete(Path.Combine(data, "pos", "001.png"));
        CliRun.Of(TinyModelFixture.TrainArgs(data, fixture.Valid, fixture.Scratch("out")))
            .FailedWith("names 'pos/001.png', which does not exist");
    }

    [Fact]
    public void Sixteen_bit_palette_and_huge_pngs_train_and_score_like_their_8_bit_originals()
    {
        fixture.Run.Succeeded();
        var folder = fixture.Scratch("odd");
        Directory.CreateDirectory(folder);
        var originals = new[] { "pos/000.png", "pos/001.png", "neg/000.png", "neg/001.png" }.Select(p => Path.Combine(fixture.Valid, p)).ToArray();
        var odd = new List<(string Odd, string Original)>();
        for (var i = 0; i < originals.Length; i++)
        {
            var grey = OddPng.ReadGrey(originals[i]);
            var sixteen = Path.Combine(folder, $"{i}-16bit.png");
            var palette = Path.Combine(folder, $"{i}-palette.png");
            OddPng.WriteGrey16(sixteen, grey);
            OddPng.WritePalette(palette, grey);
            odd.Add((sixteen, originals[i]));
            odd.Add((palette, originals[i]));
        }
        var huge = Path.Combine(folder, "huge.png");
        OddPng.WriteEnlarged(huge, OddPng.ReadGrey(originals[0]), factor: 250);

        // Scoring: 16-bit and palette files give the original's probability exactly. So does the 3000×3000 one: each of
        // its 250×250 blocks is one grey, so resizing it back to 12×12 gives the original's pixels.
        var scores = Predict(folder, originals);
        foreach (var (file, original) in odd)
            Assert.Equal(scores[original], scores[file]);
        Assert.Equal(scores[originals[0]], scores[huge]);
        Assert.NotEqual(scores[originals[0]], scores[originals[2]]); // the model does tell the classes apart

        // Training: the same files inside a training folder are read, not refused.
        var data = TinyImageFolder.Write(fixture.Scratch("train"), perClass: 8, seed: 6);
        File.Copy(odd[0].Odd, Path.Combine(data, "pos", "000.png"), overwrite: true);
        File.Copy(odd[1].Odd, Path.Combine(data, "pos", "001.png"), overwrite: true);
        File.Copy(huge, Path.Combine(data, "pos", "002.png"), overwrite: true);
        CliRun.Of(TinyModelFixture.TrainArgs(data, fixture.Valid, fixture.Scratch("out"))).Succeeded();
    }

    private Dictionary<string, float> Predict(string folder, string[] more)
    {
        var run = CliRun.Of(["predict", "--model", fixture.Model, "--json", folder, .. more]).Succeeded();
        using var json = JsonDocument.Parse(run.Out);
        return json.RootElement.EnumerateArray().ToDictionary(e => e.GetProperty("path").GetString()!, e => e.GetProperty("probability").GetSingle());
    }
}
