using MlNetCnn.Network;
using static TorchSharp.torch;

namespace MlNetCnn.NetworkKinds;

/// <summary>
/// A kind of network as a run trains it: how one is made (untrained; the caller seeds the generator), checked against
/// the images, and captured once trained as a <see cref="TrainedNetwork"/>, which saves, loads, describes and exports
/// it. One file per kind; the custom kinds are registered in <see cref="Registered"/>.
/// </summary>
/// <remarks>
/// A new kind is one file and one line in <see cref="Registered"/>: a <see cref="NetworkKind"/> with a free
/// <c>Number</c>, a static <c>For(CustomNetwork)</c> that claims the networks of its kind, <see cref="Description"/>,
/// <see cref="Create"/> and <see cref="Capture"/> (and, where the defaults do not fit, <see cref="Identity"/>,
/// <see cref="CheckFits"/>, <see cref="LearnabilitySteps"/>, <see cref="RefreshesBatchNorm"/>); a static
/// <c>Read(SavedNetwork)</c>; and its <see cref="TrainedNetwork"/>: <see cref="TrainedNetwork.Description"/>,
/// <see cref="TrainedNetwork.Number"/>, <see cref="TrainedNetwork.StateBytes"/> (in CnnWeights unless
/// <see cref="TrainedNetwork.StateStream"/> says otherwise), <see cref="TrainedNetwork.WriteDetails"/> for whatever
/// else makes it again (read back from <see cref="SavedNetwork.Details"/>), <see cref="TrainedNetwork.Load"/>,
/// <see cref="TrainedNetwork.Describe"/> and <see cref="TrainedNetwork.Onnx"/>.
/// </remarks>
internal abstract class NetworkKind
{
    // The batch the input check runs through the network: two rows, as batch norm needs in training mode.
    private const int ProbeBatch = 2;

    /// <summary>A custom network's state stream larger than this is damage (the built-in network's is bounded by its shape).</summary>
    protected const long MaxCustomStateBytes = 1L << 31;

    /// <summary>
    /// The custom kinds, in the order they claim a <see cref="CustomNetwork"/>, each with its number in the zip's
    /// network stream. The built-in network is none of them: it is what no CustomNetwork names, and its model has no
    /// network stream. A new kind is one file and one line here.
    /// </summary>
    public static readonly IReadOnlyList<Registration> Registered =
    [
        new(TorchScriptKind.Number, "TorchScript", TorchScriptKind.For, TorchScriptKind.Read),
        new(FactoryKind.Number, "factory", FactoryKind.For, FactoryKind.Read),
        new(BackboneKind.Number, "pretrained backbone", _ => null, BackboneKind.Read),
    ];

    /// <summary>A custom kind: its number in the zip's network stream, its name there, and how it is made from options and read back.</summary>
    /// <param name="Number">What the network stream starts with for this kind.</param>
    /// <param name="Name">What a refusal of an unknown number lists it as.</param>
    /// <param name="For">The kind of a <see cref="CustomNetwork"/>, or null when it is not of this kind.</param>
    /// <param name="Read">The trained network of a saved model, from its part of the zip.</param>
    internal sealed record Registration(int Number, string Name, Func<CustomNetwork, NetworkKind?> For, Func<SavedNetwork, TrainedNetwork> Read);

    /// <summary>The network <paramref name="options"/> ask for.</summary>
    public static NetworkKind Of(CnnOptions options) => options.Backbone is { } backbone
        ? new BackboneKind(backbone, options)
        : options.CustomNetwork is { } custom
        ? Registered.Select(r => r.For(custom)).FirstOrDefault(k => k is not null) ?? throw new ArgumentException($"No network kind makes {custom}.", nameof(CnnOptions.CustomNetwork))
        : new BuiltInKind(options.Network);

    /// <summary>The built-in network's shape; null for every other kind.</summary>
    public virtual NetworkShape? Shape => null;

    /// <summary>What the log and the checkpoint fingerprint call it.</summary>
    public abstract string Description { get; }

    /// <summary>What makes two runs' networks the same, for a checkpoint's fingerprint (not where a file lies).</summary>
    public virtual string Identity => Description;

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
    public virtual void CheckFits(ImageGeometry geometry)
    {
        using var network = Create(geometry);
        Probe(network, geometry, Description);
    }

    /// <summary>The kind's own policies on the loop's seam, run after the built-in ones and before the user's (none by default).</summary>
    public virtual IEnumerable<ITrainingCallback> TrainingCallbacks() => [];

    /// <summary>A new, untrained network for images of <paramref name="geometry"/> (the caller seeds the generator).</summary>
    public abstract NetworkModule Create(ImageGeometry geometry);

    /// <summary>The trained state of <paramref name="network"/>, which <see cref="Create"/> made, in managed memory.</summary>
    public abstract TrainedNetwork Capture(NetworkModule network);

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

    /// <summary>The line of a libtorch error that says what failed.</summary>
    protected static string FirstLine(string message)
    {
        // libtorch's TorchScript errors carry the script's traceback; its last non-empty line says what failed.
        var lines = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var cause = lines.LastOrDefault(l => l.Contains("Error", StringComparison.Ordinal)) ?? lines.LastOrDefault() ?? message;
        return cause.Length > 400 ? cause[..400] + "…" : cause;
    }
}
