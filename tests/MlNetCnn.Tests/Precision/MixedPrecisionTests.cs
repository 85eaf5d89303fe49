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
        using var seed = manual_seed(1);
        using var network = new CnnNetwork(Geometry, SyntheticImages.SmallNetwork);
        var statistics = network.named_buffers().ToDictionary(b => b.name, b => b.buffer.clone());
        network.train();
        using var input = rand(8, 1, ImageRow.Side, ImageRow.Side);
        using var labels = tensor(new float[] { 1, 0, 1, 0, 1, 0, 1, 0 });
        Tensor Loss(Tensor logits) => nn.functional.binary_cross_entropy_with_logits(logits, labels);
        // The same step in float32 first: the gradients bfloat16's must follow.
        Loss(network.forward(input)).backward();
        var reference = network.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.clone());
        network.zero_grad();

        network.ComputeType = ScalarType.BFloat16;
        using var output = network.forward(input);
        Assert.Equal(ScalarType.Float32, output.dtype);
        Assert.Equal(new long[] { 8 }, output.shape);
        Loss(output).backward();

        Assert.All(network.named_parameters(), p =>
        {
            Assert.Equal(ScalarType.Float32, p.parameter.dtype);
            Assert.Equal(ScalarType.Float32, p.parameter.grad!.dtype);
        });
        // A bfloat16 convolution's weight gradient arrives through the cast, pointing where float32's does. (Not to
        // bfloat16's rounding: where rounding changes which pixel a 2×2 max pool keeps, the gradient takes another way.)
        const string conv = "features.block2.conv.weight";
        var gradient = network.named_parameters().First(p => p.name == conv).parameter.grad!;
        var cosine = (gradient * reference[conv]).sum().item<float>() / (gradient.norm().item<float>() * reference[conv].norm().item<float>());
        Assert.True(cosine >= MinimumGradientCosine && !gradient.equal(reference[conv]).all().item<bool>(), $"{conv}'s gradient: cosine {cosine:F4} with float32's (at least {MinimumGradientCosine})");
        Assert.All(network.named_buffers(), b =>
        {
            Assert.Equal(ScalarType.Float32, b.buffer.dtype);
            Assert.False(b.buffer.equal(statistics[b.name]).all().item<bool>(), $"{b.name} was not updated");
        });
    }

    // Measured in this process (oneDNN capped at AVX2, so libtorch's own bfloat16 code), seed 1: a cosine of 0.967
    // between the gradients; the scores 0.14 % off (0.20–0.31 % with other weights). bfloat16 keeps 8 significant bits
    // (2^-9, 0.2 %, per value); a gradient cut off or wrongly routed would be far from float32's.
    private const double MinimumGradientCosine = 0.9;
    private const double ScoreError = 0.005;

    [Fact]
    public void Bfloat16_scores_follow_float32_scores_to_bfloat16s_rounding()
    {
        using var seed = manual_seed(1);
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
        Assert.True(error <= ScoreError, $"the scores are {error:P2} off float32's (allowed {ScoreError:P0})");
    }
}
