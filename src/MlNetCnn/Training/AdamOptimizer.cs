using MlNetCnn.Network;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetCnn.Training;

/// <summary>
/// Adam (Kingma and Ba), with L2 weight decay as PyTorch's <c>torch.optim.Adam</c> applies it, written so that no
/// temporary <see cref="Scalar"/> is handed to native code.
/// </summary>
/// <remarks>
/// TorchSharp 0.107's own Adam converts numbers to <see cref="Scalar"/>s on the fly and passes their handles to
/// libtorch without keeping the objects alive; <see cref="Scalar"/> has a finalizer, so once the step is compiled with
/// full optimisation a collection during the native call can free a Scalar that is still being read ("Unknown
/// scalar type"). Every Scalar here lives in a field for the optimiser's lifetime, or in a local kept alive to the
/// end of the step.
/// </remarks>
internal sealed class AdamOptimizer : IDisposable
{
    private const double Beta1 = 0.9;
    private const double Beta2 = 0.999;
    private const double Epsilon = 1e-8;
    private const int StateVersion = 1;

    private readonly Parameter[] parameters;
    private readonly Tensor[] firstMoments;
    private readonly Tensor[] secondMoments;
    private readonly Scalar beta1 = Beta1.ToScalar();
    private readonly Scalar oneMinusBeta1 = (1 - Beta1).ToScalar();
    private readonly Scalar beta2 = Beta2.ToScalar();
    private readonly Scalar oneMinusBeta2 = (1 - Beta2).ToScalar();
    private readonly Scalar epsilon = Epsilon.ToScalar();
    private readonly Scalar one = 1.0.ToScalar();
    private readonly Scalar weightDecay;
    private readonly bool decays;
    private long steps;

    public AdamOptimizer(IEnumerable<Parameter> parameters, double learningRate, double weightDecay)
    {
        this.parameters = parameters.ToArray();
        LearningRate = learningRate;
        decays = weightDecay != 0;
        this.weightDecay = weightDecay.ToScalar();
        using (no_grad())
        {
            firstMoments = this.parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
            secondMoments = this.parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
        }
    }

    /// <summary>The step size of the next <see cref="Step"/>.</summary>
    public double LearningRate { get; set; }

    /// <summary>Clears every parameter's gradient.</summary>
    public void ZeroGrad()
    {
        using var scope = NewDisposeScope();
        foreach (var p in parameters)
            p.grad?.zero_();
    }

    /// <summary>One Adam update of every parameter that has a gradient.</summary>
    public void Step()
    {
        steps++;
        var biasCorrection1 = 1 - Math.Pow(Beta1, steps);
        var biasCorrection2 = 1 - Math.Pow(Beta2, steps);
        var stepSize = (-LearningRate / biasCorrection1).ToScalar();
        var secondScale = (1 / Math.Sqrt(biasCorrection2)).ToScalar();
        using (no_grad())
        using (var scope = NewDisposeScope())
        {
            for (var i = 0; i < parameters.Length; i++)
            {
                var gradient = parameters[i].grad;
                if (gradient is null)
                    continue;
                if (decays)
                    gradient = gradient.add(parameters[i], weightDecay);
                firstMoments[i].mul_(beta1).add_(gradient, oneMinusBeta1);
                secondMoments[i].mul_(beta2).addcmul_(gradient, gradient, oneMinusBeta2);
                var denominator = secondMoments[i].sqrt().mul_(secondScale).add_(epsilon, one);
                parameters[i].addcdiv_(firstMoments[i], denominator, stepSize);
            }
        }
        GC.KeepAlive(stepSize);
        GC.KeepAlive(secondScale);
        stepSize.Dispose();
        secondScale.Dispose();
    }

    // *** Binary format (checkpoints) ***
    // int: state version; long: steps taken; int: parameter count;
    // then for each parameter: the first moments, then the second moments, each as int value count + floats.

    public void Save(BinaryWriter writer)
    {
        writer.Write(StateVersion);
        writer.Write(steps);
        writer.Write(parameters.Length);
        foreach (var moments in new[] { firstMoments, secondMoments })
        {
            foreach (var tensor in moments)
            {
                var values = new float[tensor.numel()];
                TensorBridge.CopyTo(tensor, values);
                writer.Write(values.Length);
                foreach (var v in values) writer.Write(v);
            }
        }
    }

    public void Load(BinaryReader reader)
    {
        if (reader.ReadInt32() != StateVersion)
            throw new InvalidDataException("The optimiser state is of an unknown version.");
        var savedSteps = reader.ReadInt64();
        if (savedSteps < 0 || reader.ReadInt32() != parameters.Length)
            throw new InvalidDataException("The optimiser state does not fit this network.");
        foreach (var moments in new[] { firstMoments, secondMoments })
        {
            foreach (var tensor in moments)
            {
                var count = reader.ReadInt32();
                if (count != tensor.numel())
                    throw new InvalidDataException("The optimiser state does not fit this network.");
                var values = new float[count];
                for (var k = 0; k < count; k++) values[k] = reader.ReadSingle();
                using var loaded = TensorBridge.FromSpan(values, tensor.shape);
                using (no_grad()) tensor.copy_(loaded);
            }
        }
        steps = savedSteps;
    }

    public void Dispose()
    {
        foreach (var t in firstMoments.Concat(secondMoments)) t.Dispose();
        foreach (var s in new[] { beta1, oneMinusBeta1, beta2, oneMinusBeta2, epsilon, one, weightDecay }) s.Dispose();
    }
}
