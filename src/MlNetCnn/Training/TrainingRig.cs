using MlNetCnn.Data;
using MlNetCnn.Network;
using MlNetCnn.NetworkKinds;
using MlNetCnn.Precisions;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetCnn.Training;

/// <summary>
/// Network, precision, optimiser and step, built in one place for Fit, the learnability check and the learning-rate
/// range test: a network seeded from the run's seed alone, its precision resolved and set, the task's class weights, and
/// optimisers and steps over it on demand.
/// </summary>
internal sealed class TrainingRig : IDisposable
{
    private readonly Tensor? classWeights;
    private readonly ImageGeometry geometry;

    private TrainingRig(NetworkModule network, PrecisionChoice precision, Tensor? classWeights, ImageGeometry geometry)
    {
        Network = network;
        Precision = precision;
        this.classWeights = classWeights;
        this.geometry = geometry;
    }

    /// <summary>The network being trained.</summary>
    public NetworkModule Network { get; }

    /// <summary>What it computes in, and why.</summary>
    public PrecisionChoice Precision { get; }

    /// <summary>
    /// A new network for <paramref name="train"/>'s images, made from <paramref name="kind"/> with weights that depend on
    /// <paramref name="seed"/> alone, in the precision <paramref name="options"/> ask for (refused here when it cannot be had).
    /// </summary>
    public static TrainingRig Build(NetworkKind kind, CnnOptions options, int seed, TrainingData train)
    {
        var network = CreateNetwork(seed, kind, train.Geometry);
        try
        {
            var precision = PrecisionChoice.Apply(options.Precision, network, kind.Description);
            return new TrainingRig(network, precision, network.Task.ClassWeights(options, train), train.Geometry);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>Adam over the network's named parameters, in one group.</summary>
    public AdamOptimizer NewOptimizer(double learningRate, double weightDecay) =>
        new(Network.Module.named_parameters(), learningRate, weightDecay);

    /// <summary>The training step of this network with <paramref name="optimizer"/>.</summary>
    public TrainStep NewStep(AdamOptimizer optimizer) => new(Network, optimizer, classWeights, geometry);

    /// <summary>Hands the network to the caller: disposing the rig then leaves it alone.</summary>
    public NetworkModule TakeNetwork()
    {
        taken = true;
        return Network;
    }

    private bool taken;

    public void Dispose()
    {
        classWeights?.Dispose();
        if (!taken)
            Network.Dispose();
    }

    /// <summary>A new network whose weights depend on <paramref name="seed"/> alone (a TorchScript module's come from its file).</summary>
    internal static NetworkModule CreateNetwork(int seed, NetworkKind kind, ImageGeometry geometry)
    {
        lock (TorchGate.Seeding)
        {
            using var generator = torch.manual_seed(seed);
            return kind.Create(geometry);
        }
    }
}
