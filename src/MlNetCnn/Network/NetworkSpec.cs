using System.Reflection;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetCnn.Network;

/// <summary>
/// The network a training run builds: the built-in CNN of a <see cref="NetworkShape"/>, a TorchScript module, or a
/// registered factory's TorchSharp module. The one place that knows how each is made and checked.
/// </summary>
internal abstract class NetworkSpec
{
    // The batch the input check runs through the network: two rows, as batch norm needs in training mode.
    private const int ProbeBatch = 2;

    /// <summary>The network <paramref name="options"/> ask for.</summary>
    public static NetworkSpec Of(CnnOptions options) => options.CustomNetwork switch
    {
        null => new BuiltIn(options.Network),
        { Kind: CustomNetworkKind.TorchScript } script => new Scripted(script),
        var factory => Factory.Find(factory),
    };

    /// <summary>What the log and the checkpoint fingerprint call it.</summary>
    public abstract string Description { get; }

    /// <summary>What makes two runs' networks the same, for a checkpoint's fingerprint (not where a file lies).</summary>
    public virtual string Identity => Description;

    /// <summary>The built-in network's shape; null for a custom one.</summary>
    public virtual NetworkShape? Shape => null;

    /// <summary>
    /// Most steps of the learnability check (CNN008) before it says the loss would not halve. The built-in network's
    /// wide dense layers halve it on 16 images within a few steps, and could memorise even shuffled labels given many
    /// more; a custom network with global average pooling learns slower (a TorchScript fixture took 40 steps at 0.01).
    /// </summary>
    public virtual int LearnabilitySteps => CustomLearnabilitySteps;

    /// <summary>
    /// Whether training brings batch norm's running statistics up to each epoch's final weights before measuring
    /// (see CnnTrainer.RefreshBatchNorm): custom networks do; the built-in network keeps its recorded behaviour.
    /// </summary>
    public virtual bool RefreshesBatchNorm => true;

    /// <summary>See <see cref="LearnabilitySteps"/>.</summary>
    public const int BuiltInLearnabilitySteps = 30;

    /// <summary>See <see cref="LearnabilitySteps"/>.</summary>
    public const int CustomLearnabilitySteps = 100;

    /// <summary>
    /// Throws <see cref="ArgumentException"/>, showing the shapes, unless a network for <paramref name="geometry"/>
    /// can be built, has float32 parameters to train, and maps a batch to one logit per image. Loads libtorch for a
    /// custom network.
    /// </summary>
    public abstract void CheckFits(ImageGeometry geometry);

    /// <summary>A new, untrained network for images of <paramref name="geometry"/> (the caller seeds the generator).</summary>
    public abstract NetworkModule Create(ImageGeometry geometry);

    /// <summary>The built-in CNN.</summary>
    internal sealed class BuiltIn(NetworkShape shape) : NetworkSpec
    {
        public override string Description => shape.ToString();

        public override NetworkShape? Shape => shape;

        public override int LearnabilitySteps => BuiltInLearnabilitySteps;

        public override bool RefreshesBatchNorm => false;

        public override void CheckFits(ImageGeometry geometry) => shape.CheckFits(geometry);

        public override NetworkModule Create(ImageGeometry geometry) => NetworkModule.Of(new CnnNetwork(geometry, shape));
    }

    /// <summary>A TorchScript module, trained in place.</summary>
    internal sealed class Scripted(CustomNetwork network) : NetworkSpec
    {
        public CustomNetwork Network => network;

        public override string Description => network.ToString();

        public override string Identity => $"TorchScript sha256 {network.ArchiveSha256}";

        public override void CheckFits(ImageGeometry geometry)
        {
            using var network = Create(geometry);
            Probe(network, geometry, Description);
        }

        public override NetworkModule Create(ImageGeometry geometry)
        {
            jit.ScriptModule<Tensor, Tensor> module;
            try
            {
                module = jit.load<Tensor, Tensor>(network.Archive);
            }
            catch (Exception e) when (e is System.Runtime.InteropServices.ExternalException)
            {
                throw new ArgumentException($"The {Description} could not be loaded by libtorch: {FirstLine(e.Message)}", nameof(CnnOptions.CustomNetwork), e);
            }
            return NetworkModule.Of(module);
        }
    }

    /// <summary>A registered factory's TorchSharp module.</summary>
    /// <param name="network">What the options name.</param>
    /// <param name="implementation">The registered factory.</param>
    /// <param name="assembly">The assembly that registers it (its full name is saved with the model).</param>
    internal sealed class Factory(CustomNetwork network, ICnnNetworkFactory implementation, Assembly assembly) : NetworkSpec
    {
        public CustomNetwork Network => network;

        public ICnnNetworkFactory Implementation => implementation;

        public Assembly Assembly => assembly;

        public override string Description => Network.ToString();

        public static Factory Find(CustomNetwork network)
        {
            try
            {
                var (factory, assembly) = NetworkFactories.Find(network.FactoryName!);
                return new Factory(network, factory, assembly);
            }
            catch (InvalidOperationException e)
            {
                throw new ArgumentException(e.Message, nameof(CnnOptions.CustomNetwork), e);
            }
        }

        public override void CheckFits(ImageGeometry geometry)
        {
            using var network = Create(geometry);
            Probe(network, geometry, Description);
        }

        public override NetworkModule Create(ImageGeometry geometry) => Build(Implementation, Network.FactoryName!, Network.Settings, geometry);

        /// <summary>The factory's module for <paramref name="geometry"/>, without batch counters and with its output made logits.</summary>
        public static NetworkModule Build(ICnnNetworkFactory factory, string name, string settings, ImageGeometry geometry)
        {
            nn.Module<Tensor, Tensor> module;
            try
            {
                module = factory.Create(geometry, settings) ?? throw new ArgumentException($"The CNN network factory '{name}' returned null.");
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"The CNN network factory '{name}' cannot build a network for images of {geometry} with settings '{settings}': {e.Message}", nameof(CnnOptions.CustomNetwork), e);
            }
            return NetworkModule.Of(BatchCounters.Remove(module));
        }
    }

    /// <summary>Runs a batch of blank images through <paramref name="network"/> and checks what comes out.</summary>
    private static void Probe(NetworkModule network, ImageGeometry geometry, string description)
    {
        var parameters = network.Module.named_parameters().ToList();
        if (parameters.Count == 0 || parameters.All(p => !p.parameter.requires_grad))
            throw new ArgumentException($"The {description} has no trainable parameters: there is nothing to train. Give it layers with weights (nn.Conv2d, nn.Linear, ...).", nameof(CnnOptions.CustomNetwork));
        if (parameters.FirstOrDefault(p => p.parameter.dtype != ScalarType.Float32) is { name: { } name } other)
            throw new ArgumentException($"The {description}'s parameter '{name}' is {other.parameter.dtype}; MlNetCnn trains float32 networks. Convert it with model.float() before saving.", nameof(CnnOptions.CustomNetwork));
        var input = new long[] { ProbeBatch, geometry.Channels, geometry.Height, geometry.Width };
        network.Module.eval();
        try
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var output = network.ForwardRaw(zeros(input));
            var shape = output.shape;
            if (!network.Task.IsOutput(shape, ProbeBatch))
                throw new ArgumentException($"The {description} maps a [{string.Join(", ", input)}] batch to [{string.Join(", ", shape)}]; {network.Task.DescribeOutput(ProbeBatch)}.", nameof(CnnOptions.CustomNetwork));
            if (output.dtype != ScalarType.Float32)
                throw new ArgumentException($"The {description} returns {output.dtype} logits; MlNetCnn needs float32.", nameof(CnnOptions.CustomNetwork));
        }
        catch (Exception e) when (e is System.Runtime.InteropServices.ExternalException or InvalidOperationException)
        {
            throw new ArgumentException($"The {description} cannot take images of {geometry}: a forward pass on a [{string.Join(", ", input)}] batch failed: {FirstLine(e.Message)} " +
                "Resize the images to a size the network accepts, or change its first layer's input channels.", nameof(CnnOptions.CustomNetwork), e);
        }
        finally
        {
            network.Module.train();
        }
    }

    private static string FirstLine(string message)
    {
        // libtorch's TorchScript errors carry the script's traceback; its last non-empty line says what failed.
        var lines = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var cause = lines.LastOrDefault(l => l.Contains("Error", StringComparison.Ordinal)) ?? lines.LastOrDefault() ?? message;
        return cause.Length > 400 ? cause[..400] + "…" : cause;
    }
}
