using MlNetCnn.Native;
using MlNetCnn.Network;
using TorchSharp;

namespace MlNetCnn.Tests.Network;

public sealed class CnnNetworkTests
{
    public CnnNetworkTests() => TorchRuntime.EnsureLoaded();

    [Theory]
    [InlineData(64, 128 * 4 * 4)]
    [InlineData(244, 128 * 27 * 27)] // the question's hard-coded 128 * 27 * 27, derived
    [InlineData(36, 128)]
    public void Flatten_size_is_derived_from_the_input_geometry(int side, int expected)
    {
        Assert.Equal(expected, NetworkShape.Default.FlattenSize(new ImageGeometry(3, side, side)));
    }

    [Fact]
    public void The_default_network_is_the_questions_network()
    {
        using var network = new CnnNetwork(new ImageGeometry(3, 64, 64), NetworkShape.Default);
        var names = network.named_parameters().Select(p => (p.name, string.Join("x", p.parameter.shape))).ToList();

        Assert.Equal(new[]
        {
            ("features.block1.conv.weight", "64x3x5x5"), ("features.block1.conv.bias", "64"),
            ("features.block1.bn.weight", "64"), ("features.block1.bn.bias", "64"),
            ("features.block2.conv.weight", "64x64x5x5"), ("features.block2.conv.bias", "64"),
            ("features.block2.bn.weight", "64"), ("features.block2.bn.bias", "64"),
            ("features.block3.conv.weight", "128x64x5x5"), ("features.block3.conv.bias", "128"),
            ("features.block3.bn.weight", "128"), ("features.block3.bn.bias", "128"),
            ("classifier.fc1.weight", "500x2048"), ("classifier.fc1.bias", "500"),
            ("classifier.bn1.weight", "500"), ("classifier.bn1.bias", "500"),
            ("classifier.fc2.weight", "500x500"), ("classifier.fc2.bias", "500"),
            ("classifier.bn2.weight", "500"), ("classifier.bn2.bias", "500"),
            ("classifier.out.weight", "1x500"), ("classifier.out.bias", "1"),
        }, names);
        Assert.Contains(network.modules(), m => m is TorchSharp.Modules.MaxPool2d);
    }

    [Fact]
    public void Forward_gives_one_logit_per_image()
    {
        using var network = new CnnNetwork(new ImageGeometry(1, 36, 36), NetworkShape.Default);
        network.eval();
        using var input = torch.rand(5, 1, 36, 36);
        using var output = network.forward(input);

        Assert.Equal(new long[] { 5 }, output.shape);
    }

    [Theory]
    [InlineData(35, 36)]
    [InlineData(36, 35)]
    public void An_image_too_small_for_the_network_is_refused_naming_the_minimum(int height, int width)
    {
        var error = Assert.Throws<ArgumentException>(() => new CnnNetwork(new ImageGeometry(3, height, width), NetworkShape.Default));
        Assert.Contains("at least 36×36", error.Message);
        Assert.Equal(36, NetworkShape.Default.MinimumImageSide);
    }
}
