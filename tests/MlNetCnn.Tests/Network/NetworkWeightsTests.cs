using MlNetCnn.Native;
using MlNetCnn.Network;

namespace MlNetCnn.Tests.Network;

public sealed class NetworkWeightsTests
{
    private static readonly NetworkShape Small = new(new[] { 16, 16 }, 5, 2, new[] { 8 });
    private static readonly ImageGeometry Geometry = new(3, 20, 20);

    [Fact]
    public void Weights_read_without_libtorch_write_back_exactly_what_TorchSharp_saved()
    {
        TorchRuntime.EnsureLoaded();
        using var network = new CnnNetwork(Geometry, Small);
        using var saved = new MemoryStream();
        network.save(saved);

        var weights = NetworkWeights.Read(saved.ToArray());

        Assert.Equal(saved.ToArray(), weights.ToBytes());
        weights.CheckFits(Small, Geometry);
        Assert.Equal(network.state_dict().Keys.Order(), weights.Tensors.Select(t => t.Name).Order());
        var conv = weights["features.block1.conv.weight"];
        Assert.Equal(new long[] { 16, 3, 5, 5 }, conv.Shape);
        using var original = network.state_dict()["features.block1.conv.weight"].contiguous();
        Assert.Equal(original.data<float>().ToArray(), conv.Values);
    }

    [Fact]
    public void Weights_of_another_network_or_cut_short_are_refused_by_name()
    {
        TorchRuntime.EnsureLoaded();
        using var network = new CnnNetwork(Geometry, Small);
        using var saved = new MemoryStream();
        network.save(saved);
        var bytes = saved.ToArray();

        var other = Assert.Throws<InvalidDataException>(() => NetworkWeights.Read(bytes).CheckFits(new NetworkShape(new[] { 16, 32 }, 5, 2, new[] { 8 }), Geometry));
        Assert.Contains("features.block2.conv.weight", other.Message);
        var cut = Assert.Throws<InvalidDataException>(() => NetworkWeights.Read(bytes.AsSpan(0, bytes.Length - 7)));
        Assert.Contains("end", cut.Message);
        var extra = Assert.Throws<InvalidDataException>(() => NetworkWeights.Read(bytes.Concat(new byte[] { 1, 2 }).ToArray()));
        Assert.Contains("after their last tensor", extra.Message);
    }
}
