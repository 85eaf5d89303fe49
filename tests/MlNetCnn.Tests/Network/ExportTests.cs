using MlNetCnn.Network;
using MlNetCnn.Tests.Support;
using TorchSharp;

namespace MlNetCnn.Tests.Network;

public sealed class ExportTests : IClassFixture<TrainedModel>
{
    private readonly TrainedModel model;

    public ExportTests(TrainedModel model) => this.model = model;

    [Fact]
    public void Exported_weights_load_into_a_plain_TorchSharp_module_and_give_the_same_logits()
    {
        using var folder = new TempFolder();
        var path = folder.File("weights.dat");
        model.Transformer.ExportWeights(path);

        using var network = new CnnNetwork(model.Transformer.Geometry, model.Transformer.Network!);
        network.load(path);
        network.eval();
        var rows = SyntheticImages.Rows(16, 12);
        using var noGrad = torch.no_grad();
        using var input = torch.tensor(rows.SelectMany(r => r.Features).ToArray(), new long[] { 16, 1, 36, 36 });
        using var logits = network.forward(input);

        using var libTorch = model.Transformer.WithScoringEngine(ScoringEngine.LibTorch);
        var expected = Scores.Column(libTorch.Transform(model.Ml.Data.LoadFromEnumerable(rows)));
        Assert.Equal(expected, logits.data<float>().ToArray());
    }

    [Fact]
    public void The_description_lists_every_layer_with_shapes_and_the_parameter_total()
    {
        var layers = model.Transformer.DescribeNetwork();

        Assert.Equal(model.Transformer.ParameterCount, layers.Sum(l => l.Parameters));
        Assert.Equal(new[] { 16, 32, 32 }, layers.First(l => l.Name == "features.block1.conv").OutputShape);
        Assert.Equal(new[] { 16, 1, 1 }, layers.First(l => l.Name == "features.block3.pool").OutputShape);
        Assert.Equal("Linear(16→1)", layers[^1].Kind);

        var question = NetworkShape.Default.Describe(new ImageGeometry(3, 244, 244));
        Assert.Equal(new[] { 128 * 27 * 27 }, question.First(l => l.Name == "flatten").OutputShape);
    }
}
