using static TorchSharp.torch;
using static TorchSharp.torch.nn;

[assembly: MlNetCnn.CnnNetworkFactory(MlNetCnn.Tests.Network.TinyNetworkFactory.Name, typeof(MlNetCnn.Tests.Network.TinyNetworkFactory))]

namespace MlNetCnn.Tests.Network;

/// <summary>A user's factory as a user writes one: a TorchSharp module with batch norm, sized by its settings ("channels").</summary>
public sealed class TinyNetworkFactory : ICnnNetworkFactory
{
    public const string Name = "test.tiny-net";

    public Module<Tensor, Tensor> Create(ImageGeometry geometry, string settings)
    {
        var channels = settings.Length == 0 ? 16 : int.TryParse(settings, out var c) && c > 0 ? c : throw new ArgumentException($"'{settings}' is not a channel count.");
        return Sequential(
            ("conv", Conv2d(geometry.Channels, channels, 5, stride: 2)),
            ("bn", BatchNorm2d(channels)),
            ("relu", ReLU()),
            ("pool", AdaptiveAvgPool2d(1)),
            ("flatten", Flatten()),
            ("out", Linear(channels, 1)));
    }
}
