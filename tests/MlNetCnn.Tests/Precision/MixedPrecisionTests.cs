using MlNetCnn.Native;
using MlNetCnn.Network;
using MlNetCnn.Tests.Support;
using static TorchSharp.torch;
using MlNetCnn.Precisions;

namespace MlNetCnn.Tests.Precisions;

public sealed class MixedPrecisionTests
{
    private static readonly ImageGeometry Geometry = new(1, ImageRow.Side, ImageRow.Side);

    public MixedPrecisionTests() => TorchRuntime.EnsureLoaded();

    [Fact]
    public void A_bfloat16_step_keeps_weights_gradients_and_batch_norm_statistics_float32()
    {
        using var network = new CnnNetwork(Geometry, SyntheticImages.SmallNetwork) { ComputeType = ScalarType.BFloat16 };
        var statistics = network.named_buffers().ToDictionary(b => b.name, b => b.buffer.clone());
        network.train();
        using var input = rand(4, 1, ImageRow.Side, ImageRow.Side);
        using var output = network.forward(input);
        Assert.Equal(ScalarType.Float32, output.dtype);
        Assert.Equal(new long[] { 4 }, output.shape);
        output.sum().backward();

        Assert.All(network.named_parameters(), p =>
        {
            Assert.Equal(ScalarType.Float32, p.parameter.dtype);
            Assert.Equal(ScalarType.Float32, p.parameter.grad!.dtype);
        });
        // A convolution's weight gradient arrives through the cast: in float32, and not all zero.
        Assert.True(network.named_parameters().First(p => p.name == "features.block2.conv.weight").parameter.grad!.abs().sum().item<float>() > 0);
        Assert.All(network.named_buffers(), b =>
        {
            Assert.Equal(ScalarType.Float32, b.buffer.dtype);
            Assert.False(b.buffer.equal(statistics[b.name]).all().item<bool>(), $"{b.name} was not updated");
        });
    }

    [Fact]
    public void Bfloat16_scores_follow_float32_scores_to_bfloat16s_rounding()
    {
        using var network = new CnnNetwork(Geometry, SyntheticImages.SmallNetwork);
        network.eval();
        using var noGrad = no_grad();
        using var input = rand(8, 1, ImageRow.Side, ImageRow.Side);
        using var full = network.forward(input);
        network.ComputeType = ScalarType.BFloat16;
        using var mixed = network.forward(input);

        Assert.Equal(ScalarType.Float32, mixed.dtype);
        Assert.False(mixed.equal(full).all().item<bool>(), "the bfloat16 path was not taken");
        var error = (mixed - full).norm().item<float>() / full.norm().item<float>();
        Assert.InRange(error, 0, 0.05);
    }
}
