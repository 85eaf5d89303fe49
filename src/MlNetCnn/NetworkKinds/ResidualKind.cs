using MlNetCnn.Network;
using MlNetCnn.Onnx;
using static TorchSharp.torch;
using MlNetCnn.Tasks;

[assembly: MlNetCnn.CnnNetworkFactory(MlNetCnn.CustomNetwork.ResidualFactoryName, typeof(MlNetCnn.NetworkKinds.ResidualKind))]

namespace MlNetCnn.NetworkKinds;

/// <summary>
/// MlNetCnn's residual network (<see cref="CustomNetwork.Residual"/>): a registered factory, as a user's would be
/// (trained, saved and loaded by <see cref="FactoryKind"/>, registered as <see cref="CustomNetwork.ResidualFactoryName"/>),
/// that also writes its ONNX form, so that ONNX Runtime can score it.
/// </summary>
internal sealed class ResidualKind : ICnnNetworkFactory, FactoryKind.IWritesOnnx
{
    public nn.Module<Tensor, Tensor> Create(ImageGeometry geometry, string settings) => new ResidualNetwork(geometry, ResidualNetwork.ParseStages(settings));

    public ProtoMessage Onnx(string settings, ImageGeometry geometry, NetworkWeights weights, CnnTask task, float threshold, IEnumerable<KeyValuePair<string, string>> metadata) =>
        OnnxExporter.BuildResidual(ResidualNetwork.ParseStages(settings), geometry, weights, task, threshold, metadata);
}
