using Microsoft.ML;
using MlNetCnn.Tests.Support;

namespace MlNetCnn.Tests.Persistence;

public sealed class DamagedModelTests : IClassFixture<TrainedModel>
{
    private const int Mutations = 500;
    private static readonly TimeSpan LoadBudget = TimeSpan.FromSeconds(30);

    private readonly TrainedModel model;

    public DamagedModelTests(TrainedModel model) => this.model = model;

    [Fact]
    public void A_truncated_zip_is_refused_as_a_zip_whose_central_directory_is_missing()
    {
        using var folder = new TempFolder();
        var path = folder.File("model.zip");
        model.Ml.Model.Save(model.Transformer, model.Train.Schema, path);
        var bytes = File.ReadAllBytes(path);
        foreach (var length in new[] { 0, 10, bytes.Length / 3, bytes.Length / 2, bytes.Length - 1 })
        {
            File.WriteAllBytes(path, bytes[..length]);
            var error = Assert.Throws<FormatException>(() => new MLContext().Model.Load(path, out _));

            Assert.Equal("Failed to open a zip archive", error.Message);
            Assert.Contains("Central Directory", Assert.IsType<InvalidDataException>(error.InnerException).Message);
            Assert.Equal(LoadRefusal.Origin.ZipOrMlNet, LoadRefusal.Check(error).Origin);
        }
    }

    [Fact]
    public async Task Random_byte_mutations_either_load_and_score_exactly_as_the_original_or_are_refused_as_damage()
    {
        using var folder = new TempFolder();
        var path = folder.File("model.zip");
        model.Ml.Model.Save(model.Transformer, model.Train.Schema, path);
        var original = File.ReadAllBytes(path);
        // The weights are most of the file: every other mutation leaves them alone, so that the zip's structure,
        // ML.NET's entries and MlNetCnn's model record and history are hit as often.
        var weights = ModelZip.DataRange(original, "TransformerChain/CnnWeights");
        // ML.NET's input-schema entry is always left alone: damage there can make ML.NET's BinaryLoader spin forever
        // inside MLContext.Model.Load (Utils.ReadIntArray on a damaged codec), before MlNetCnn is involved (README).
        var schema = ModelZip.DataRange(original, "Schema");
        static bool Inside((int Start, int Length) range, int at) => at >= range.Start && at < range.Start + range.Length;
        var expected = Scores.Column(model.Transformer.Transform(model.Test));
        var expectedLabels = Scores.Predicted(model.Transformer.Transform(model.Test));
        var random = new Random(2024);
        int loaded = 0, misnamed = 0;
        var refusals = new Dictionary<(LoadRefusal.Origin Origin, Type Type, string Message), int>();

        for (var i = 0; i < Mutations; i++)
        {
            var bytes = (byte[])original.Clone();
            var sparesWeights = i % 2 == 1;
            var flips = random.Next(1, 5);
            for (var k = 0; k < flips; k++)
            {
                int at;
                do at = random.Next(bytes.Length);
                while (Inside(schema, at) || (sparesWeights && Inside(weights, at)));
                bytes[at] ^= (byte)random.Next(1, 256);
            }
            var mutated = folder.File($"m{i}.zip");
            File.WriteAllBytes(mutated, bytes);

            var attempt = Task.Run(() =>
            {
                ITransformer t;
                try
                {
                    t = new MLContext().Model.Load(mutated, out _);
                }
                catch (Exception e)
                {
                    return (Loaded: false, Scores: Array.Empty<float>(), Predicted: Array.Empty<bool>(), Error: (Exception?)e);
                }
                try
                {
                    var scored = t.Transform(model.Test);
                    return (Loaded: true, Scores: Scores.Column(scored), Predicted: Scores.Predicted(scored), Error: (Exception?)null);
                }
                catch (Exception e)
                {
                    return (Loaded: true, Scores: Array.Empty<float>(), Predicted: Array.Empty<bool>(), Error: (Exception?)e);
                }
                finally
                {
                    (t as IDisposable)?.Dispose();
                }
            });
            var finished = await Task.WhenAny(attempt, Task.Delay(LoadBudget));
            Assert.True(finished == attempt, $"mutation {i} hung");
            var result = await attempt;
            if (!result.Loaded)
            {
                var refusal = LoadRefusal.Check(result.Error!);
                refusals[refusal] = refusals.GetValueOrDefault(refusal) + 1;
            }
            else if (result.Error is not null)
            {
                // The model record's strings are range-checked, not checksummed: a damaged feature-column name loads,
                // and scoring then refuses the input for lacking that name (README). Nothing else may fail after a load.
                var refused = Assert.IsType<ArgumentOutOfRangeException>(result.Error);
                Assert.True(refused.Message.StartsWith("The input has no feature column '", StringComparison.Ordinal), refused.Message);
                misnamed++;
            }
            else
            {
                Assert.Equal(expected, result.Scores);
                Assert.Equal(expectedLabels, result.Predicted);
                loaded++;
            }
            File.Delete(mutated);
        }

        var seen = $"{misnamed} loaded with a damaged feature-column name\n" + string.Join("\n", refusals.OrderByDescending(r => r.Value).Select(r => $"{r.Value} {r.Key.Origin} {r.Key.Type.Name}: {r.Key.Message}"));
        var byOrigin = refusals.GroupBy(r => r.Key.Origin).ToDictionary(g => g.Key, g => g.Sum(r => r.Value));
        // Both kinds of refusal are met, and most damage is caught rather than loaded.
        Assert.True(byOrigin.GetValueOrDefault(LoadRefusal.Origin.OurLoader) >= Mutations / 4, $"{loaded} loaded; refused:\n{seen}");
        Assert.True(byOrigin.GetValueOrDefault(LoadRefusal.Origin.ZipOrMlNet) >= Mutations / 10, $"{loaded} loaded; refused:\n{seen}");
        Assert.True(loaded < Mutations / 4, $"{loaded} loaded; refused:\n{seen}");
        Assert.Contains(refusals.Keys, r => r.Message.Contains("does not match its checksum", StringComparison.Ordinal));
    }
}
