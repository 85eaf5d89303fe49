using MlNetCnn.Network;
using MlNetCnn.Precisions;

namespace MlNetCnn.Tests.Precisions;

public sealed class KernelCheckTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void The_default_and_the_CLIs_networks_have_the_channel_counts_the_lifted_level_was_measured_right_for(int imageChannels)
    {
        var geometry = new ImageGeometry(imageChannels, 64, 64);

        Assert.Null(KernelCheck.UnmeasuredChannels(NetworkShape.Default, geometry));
        Assert.Null(KernelCheck.UnmeasuredChannels(new NetworkShape(new[] { 16, 32, 64 }, 5, 2, new[] { 500, 500 }), geometry));
    }

    [Fact]
    public void A_convolution_whose_channel_counts_are_not_multiples_of_16_is_named()
    {
        var shape = new NetworkShape(new[] { 16, 20 }, 5, 2, new[] { 8 });

        Assert.Equal("features.block2.conv, Conv2d(16→20)", KernelCheck.UnmeasuredChannels(shape, new ImageGeometry(1, 36, 36)));
        // Four input channels were never measured.
        Assert.Equal("features.block1.conv, Conv2d(4→16)", KernelCheck.UnmeasuredChannels(new NetworkShape(new[] { 16 }, 5, 2, new[] { 8 }), new ImageGeometry(4, 36, 36)));
    }
}
