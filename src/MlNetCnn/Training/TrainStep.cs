using MlNetCnn.Network;
using static TorchSharp.torch;

namespace MlNetCnn.Training;

/// <summary>
/// The one training step, as the textbook writes it: zero the gradients, forward, the task's loss, and — when the
/// caller agrees after seeing the loss — backward and Adam's step. Used by the epochs, the learnability check and the
/// learning-rate range test alike.
/// </summary>
internal sealed class TrainStep
{
    private readonly NetworkModule network;
    private readonly AdamOptimizer optimizer;
    private readonly Tensor? classWeights;
    private readonly ImageGeometry geometry;

    public TrainStep(NetworkModule network, AdamOptimizer optimizer, Tensor? classWeights, ImageGeometry geometry)
    {
        this.network = network;
        this.optimizer = optimizer;
        this.classWeights = classWeights;
        this.geometry = geometry;
    }

    /// <summary>What the network is trained to predict.</summary>
    public Tasks.CnnTask Task => network.Task;

    /// <summary>
    /// One step on the first <paramref name="count"/> images and labels, in training mode (frozen parts in evaluation mode: NetworkModule.Train). Returns the batch's mean
    /// loss; <paramref name="logits"/>, when not empty, receives the network's outputs. The weights are updated only
    /// when <paramref name="update"/> says so for that loss (a loss that is not finite is never stepped on).
    /// </summary>
    public float Run(ReadOnlySpan<float> images, ReadOnlySpan<float> labels, int count, Span<float> logits, Func<float, bool> update)
    {
        network.Train();
        using var scope = NewDisposeScope();
        optimizer.ZeroGrad();
        var g = geometry;
        var output = network.Forward(TensorBridge.FromSpan(images[..(count * g.Size)], count, g.Channels, g.Height, g.Width));
        var loss = network.Task.Loss(output, TensorBridge.FromSpan(labels[..count], count), classWeights);
        var value = loss.item<float>();
        if (!logits.IsEmpty)
            TensorBridge.CopyTo(output.detach(), logits[..count]);
        if (float.IsFinite(value) && update(value))
        {
            loss.backward();
            optimizer.Step();
        }
        return value;
    }
}
