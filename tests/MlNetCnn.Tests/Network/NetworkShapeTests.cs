using MlNetCnn.Network;

namespace MlNetCnn.Tests.Network;

public sealed class NetworkShapeTests
{
    [Theory]
    // 3×64×64: conv 34,560,000 + 138,444,800 + 33,177,600, dense 2,048,000 + 500,000 + 1,000.
    [InlineData(3, 64, 208_731_400L, 0.2087, 4)]
    // 1×244×244, the question's input: conv 184,320,000 + 2,755,788,800 + 1,194,393,600, dense 93,312,000 + 500,000 + 1,000.
    [InlineData(1, 244, 4_228_315_400L, 4.228, 3)]
    public void Forward_flops_of_the_questions_network_are_derived_from_the_geometry(int channels, int side, long expected, double gflop, int digits)
    {
        var geometry = new ImageGeometry(channels, side, side);

        var total = NetworkShape.Default.ForwardFlops(geometry);

        Assert.Equal(expected, total);
        Assert.Equal(gflop, total / 1e9, digits); // as issue 18 states them
    }

    [Fact]
    public void Each_layer_counts_two_flops_per_weight_per_output_position_and_nothing_for_the_rest()
    {
        var layers = NetworkShape.Default.Describe(new ImageGeometry(3, 64, 64));

        foreach (var layer in layers)
        {
            var expected = layer.Kind switch
            {
                // weights = parameters − biases; one multiply-add per weight per output position
                var k when k.StartsWith("Conv2d", StringComparison.Ordinal) => 2 * (layer.Parameters - layer.OutputShape[0]) * layer.OutputShape[1] * layer.OutputShape[2],
                var k when k.StartsWith("Linear", StringComparison.Ordinal) => 2 * (layer.Parameters - layer.OutputShape[0]),
                _ => 0,
            };
            Assert.True(expected == layer.ForwardFlops, $"{layer}: expected {expected:N0} FLOP");
        }
        Assert.Equal(34_560_000, layers.Single(l => l.Name == "features.block1.conv").ForwardFlops);
        Assert.Equal(NetworkShape.Default.ForwardFlops(new ImageGeometry(3, 64, 64)), layers.Sum(l => l.ForwardFlops));
    }
}
