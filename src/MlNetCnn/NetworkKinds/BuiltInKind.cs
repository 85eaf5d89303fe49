using MlNetCnn.Network;
using MlNetCnn.Onnx;
using MlNetCnn.Precisions;
using static TorchSharp.torch;
using MlNetCnn.Tasks;

namespace MlNetCnn.NetworkKinds;

/// <summary>
/// The built-in CNN of a <see cref="NetworkShape"/>: what a run trains when no <see cref="CustomNetwork"/> is named.
/// Its model lists the shape in the body and its weights in stream CnnWeights, and has no network stream; it computes
/// in float32 or mixed bfloat16, and needs no libtorch to be read, described or written as ONNX.
/// </summary>
internal sealed class BuiltInKind(NetworkShape shape) : NetworkKind
{
    // A network larger than this is damage: 2^30 parameters is 4 GiB of weights.
    private const long MaxParameters = 1L << 30;
    // Besides parameters the weights stream holds batch-norm statistics (no more values than parameters) and names.
    private const long WeightsStreamSlack = 1 << 20;

    public override string Description => shape.ToString();

    public override NetworkShape? Shape => shape;

    public override int LearnabilitySteps => BuiltInLearnabilitySteps;

    public override bool RefreshesBatchNorm => false;

    public override void CheckFits(ImageGeometry geometry) => shape.CheckFits(geometry);

    public override NetworkModule Create(ImageGeometry geometry) => NetworkModule.Of(new CnnNetwork(geometry, shape));

    // The compute type is what training resolved its precision to (PrecisionChoice.Apply set it).
    public override TrainedNetwork Capture(NetworkModule network) => new Trained(shape, NetworkWeights.Of(network.Module),
        network.Module is CnnNetwork { ComputeType: ScalarType.BFloat16 } ? Precision.BFloat16 : Precision.Float32);

    /// <summary>The built-in network of a saved model: the body's shape, and weights no larger than that shape can need.</summary>
    public static TrainedNetwork Read(SavedNetwork saved)
    {
        var (shape, geometry) = (saved.Shape!, saved.Geometry);
        long parameters;
        try
        {
            parameters = checked(shape.Describe(geometry).Sum(l => l.Parameters));
        }
        catch (Exception e) when (e is ArgumentException or OverflowException)
        {
            throw saved.Damaged($"its network ({shape}) does not fit its images ({geometry}): {e.Message}");
        }
        if (parameters > MaxParameters || (long)saved.BatchSize * geometry.Size > Array.MaxLength)
            throw saved.Damaged($"its network ({shape}) on images of {geometry} with batches of {saved.BatchSize} is larger than any model this library makes");

        // Read the weights whole (no more than such a network can need) and check them before building anything.
        var weights = saved.State(TrainedNetwork.WeightsStream, 8 * parameters + WeightsStreamSlack, $"the weights stream '{TrainedNetwork.WeightsStream}'");
        return new Trained(shape, saved.Weights(weights), saved.TrainedPrecision);
    }

    /// <summary>The trained built-in network: its shape, weights and the precision training computed in.</summary>
    private sealed class Trained : TrainedNetwork
    {
        private readonly NetworkShape shape;
        private readonly NetworkWeights weights;

        public Trained(NetworkShape shape, NetworkWeights weights, Precision trainedPrecision)
        {
            if (trainedPrecision is not (Precision.Float32 or Precision.BFloat16))
                throw new ArgumentOutOfRangeException(nameof(trainedPrecision), trainedPrecision, "A network trains in Float32 or BFloat16; Auto is resolved before.");
            this.shape = shape;
            this.weights = weights;
            TrainedPrecision = trainedPrecision;
        }

        public override NetworkShape Shape => shape;

        public override Precision TrainedPrecision { get; }

        public override string Description => shape.ToString();

        public override OnnxForm Onnx => OnnxForm.Of((geometry, task, threshold, metadata) => OnnxExporter.Build(shape, geometry, weights, task, threshold, metadata));

        public override int? Number => null;

        public override byte[] StateBytes => weights.ToBytes();

        public override void CheckState(ImageGeometry geometry) => weights.CheckFits(shape, geometry);

        public override NetworkModule Load(ImageGeometry geometry) => NetworkModule.Of(LoadState(new CnnNetwork(geometry, shape), weights));

        public override IReadOnlyList<LayerSummary> Describe(ImageGeometry geometry) => shape.Describe(geometry);
    }
}
