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
    public void A_truncated_zip_is_refused_with_an_exception()
    {
        using var folder = new TempFolder();
        var path = folder.File("model.zip");
        model.Ml.Model.Save(model.Transformer, model.Train.Schema, path);
        var bytes = File.ReadAllBytes(path);
        foreach (var length in new[] { 0, 10, bytes.Length / 3, bytes.Length / 2, bytes.Length - 1 })
        {
            File.WriteAllBytes(path, bytes[..length]);
            Assert.ThrowsAny<Exception>(() => new MLContext().Model.Load(path, out _));
        }
    }

    [Fact]
    public async Task Random_byte_mutations_either_load_and_score_exactly_as_the_original_or_throw()
    {
        using var folder = new TempFolder();
        var path = folder.File("model.zip");
        model.Ml.Model.Save(model.Transformer, model.Train.Schema, path);
        var original = File.ReadAllBytes(path);
        var expected = Scores.Column(model.Transformer.Transform(model.Test));
        var random = new Random(2024);
        int loaded = 0, refused = 0;

        for (var i = 0; i < Mutations; i++)
        {
            var bytes = (byte[])original.Clone();
            var flips = random.Next(1, 5);
            for (var k = 0; k < flips; k++)
                bytes[random.Next(bytes.Length)] ^= (byte)random.Next(1, 256);
            var mutated = folder.File($"m{i}.zip");
            File.WriteAllBytes(mutated, bytes);

            var attempt = Task.Run(() =>
            {
                try
                {
                    var t = new MLContext().Model.Load(mutated, out _);
                    var scores = Scores.Column(t.Transform(model.Test));
                    (t as IDisposable)?.Dispose();
                    return (Loaded: true, Scores: scores, Error: (Exception?)null);
                }
                catch (Exception e)
                {
                    return (Loaded: false, Scores: Array.Empty<float>(), Error: e);
                }
            });
            var finished = await Task.WhenAny(attempt, Task.Delay(LoadBudget));
            Assert.True(finished == attempt, $"mutation {i} hung");
            var result = await attempt;
            if (result.Loaded)
            {
                Assert.Equal(expected, result.Scores);
                loaded++;
            }
            else
            {
                Assert.False(string.IsNullOrWhiteSpace(result.Error!.Message));
                Assert.IsNotType<AccessViolationException>(result.Error);
                refused++;
            }
            File.Delete(mutated);
        }
        Assert.Equal(Mutations, loaded + refused);
        Assert.True(refused > Mutations / 2, $"{refused} refused, {loaded} loaded");
    }
}
