using MlNetCnn.Tasks;
using static TorchSharp.torch;

namespace MlNetCnn.Network;

/// <summary>
/// A network in libtorch as training and scoring use it: the module (parameters, buffers, train/eval mode, state)
/// and a forward that returns the task's outputs (binary: <c>[N]</c> logits; a user's <c>[N, 1]</c> becomes <c>[N]</c>);
/// any other shape is an error that shows it (training's input check finds it first).
/// </summary>
/// <remarks>
/// Not itself a TorchSharp module: TorchSharp 0.107 cannot dispose a module that holds a TorchScript module as a
/// child (its Dispose walks the child's submodules after freeing it), and a ScriptModule is no Module&lt;Tensor, Tensor&gt;.
/// </remarks>
internal sealed class NetworkModule : IDisposable
{
    private readonly Func<Tensor, Tensor> forward;

    private NetworkModule(nn.Module module, Func<Tensor, Tensor> forward)
    {
        Module = module;
        this.forward = forward;
    }

    /// <summary>The module: its parameters, buffers, mode and state.</summary>
    public nn.Module Module { get; }

    /// <summary>A TorchSharp module (the built-in network returns [N] already).</summary>
    public static NetworkModule Of(nn.Module<Tensor, Tensor> module) => new(module, module.forward);

    /// <summary>A TorchScript module.</summary>
    public static NetworkModule Of(jit.ScriptModule<Tensor, Tensor> module) => new(module, module.forward);

    /// <summary>The module's own output, as it is.</summary>
    public Tensor ForwardRaw(Tensor input) => forward(input);

    /// <summary>What the network is trained to predict: it shapes and checks the output.</summary>
    public CnnTask Task { get; init; } = CnnTask.Binary;

    /// <summary>The task's outputs for the batch (binary: one logit per image, <c>[N]</c>); throws, showing the shape, when the module returns another.</summary>
    public Tensor Forward(Tensor input) => Task.ShapeOutputs(forward(input), input.shape[0]);

    /// <summary>
    /// Puts the module in training mode, except the parts that are frozen: a module whose own parameters all have
    /// <c>requires_grad</c> off stays in evaluation mode, so a frozen batch norm neither learns nor moves its running
    /// statistics. With nothing frozen this is <c>Module.train()</c>.
    /// </summary>
    public void Train()
    {
        Module.train();
        if (!Module.parameters().Any(p => !p.requires_grad))
            return;
        foreach (var (_, module) in Module.named_modules())
        {
            var own = module.named_parameters(recurse: false).Select(p => p.parameter).ToArray();
            if (own.Length > 0 && own.All(p => !p.requires_grad))
                module.eval();
        }
    }

    /// <summary>Whether the parameter <paramref name="name"/> is <paramref name="part"/> or inside it (<c>part.…</c>).</summary>
    public static bool IsIn(string name, string part) =>
        part.Length == 0 || name == part || (name.StartsWith(part, StringComparison.Ordinal) && (part[^1] == '.' || name[part.Length] == '.'));

    /// <summary>
    /// Turns gradients off (<paramref name="frozen"/>) or on for every parameter in <paramref name="part"/> (a
    /// parameter-name prefix such as <c>features</c> or <c>features.0</c>; empty for all). Returns how many;
    /// throws, listing the parts there are, when none is in it.
    /// </summary>
    public int SetFrozen(string part, bool frozen)
    {
        ArgumentNullException.ThrowIfNull(part);
        var count = 0;
        foreach (var (name, parameter) in Module.named_parameters())
        {
            if (!IsIn(name, part))
                continue;
            parameter.requires_grad = !frozen;
            count++;
        }
        if (count == 0)
        {
            var parts = Module.named_parameters().Select(p => p.name.Contains('.') ? p.name[..p.name.IndexOf('.')] : p.name).Distinct();
            throw new ArgumentException($"No parameter of the network is in '{part}'. Its parts are: {string.Join(", ", parts)} (name a part, or a deeper prefix such as 'features.0').", nameof(part));
        }
        return count;
    }

    public void Dispose() => Module.Dispose();
}
