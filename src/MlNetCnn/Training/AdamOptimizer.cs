using MlNetCnn.Network;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetCnn.Training;

/// <summary>
/// Adam (Kingma and Ba), with L2 weight decay as PyTorch's <c>torch.optim.Adam</c> applies it, written so that no
/// temporary <see cref="Scalar"/> is handed to native code. Its parameters are split into named groups, each stepping
/// at the base <see cref="LearningRate"/> times its own scale (fastai's discriminative rates, PyTorch's param_groups);
/// a parameter that does not require a gradient (frozen) is not stepped, whatever its gradient holds.
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
    // 1: steps and moments; 2: then the groups (name, scale, member indices). 1 is read as one group of every parameter.
    private const int StateVersion = 2;
    private const int OldestStateVersion = 1;

    /// <summary>The name of the group every parameter starts in.</summary>
    public const string DefaultGroupName = "all";

    private readonly Parameter[] parameters;
    private readonly string[] names;
    private readonly List<Group> groups = new();
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

    /// <summary>Adam over unnamed parameters (named by position).</summary>
    public AdamOptimizer(IEnumerable<Parameter> parameters, double learningRate, double weightDecay)
        : this(parameters.Select((p, i) => ($"{i}", p)), learningRate, weightDecay)
    {
    }

    /// <summary>Adam over a module's named parameters, all in one group at scale 1.</summary>
    public AdamOptimizer(IEnumerable<(string name, Parameter parameter)> namedParameters, double learningRate, double weightDecay)
    {
        var named = namedParameters.ToArray();
        parameters = named.Select(n => n.parameter).ToArray();
        names = named.Select(n => n.name).ToArray();
        groups.Add(new Group(DefaultGroupName, 1, Enumerable.Range(0, parameters.Length).ToList()));
        LearningRate = learningRate;
        decays = weightDecay != 0;
        this.weightDecay = weightDecay.ToScalar();
        using (no_grad())
        {
            firstMoments = this.parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
            secondMoments = this.parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
        }
    }

    /// <summary>The base step size of the next <see cref="Step"/>; a group steps at this times its scale.</summary>
    public double LearningRate { get; set; }

    /// <summary>A named set of parameters and the scale of its learning rate.</summary>
    public sealed class Group(string name, double scale, List<int> members)
    {
        /// <summary>The group's name.</summary>
        public string Name { get; } = name;

        /// <summary>Its learning rate over the base rate.</summary>
        public double Scale { get; set; } = scale;

        /// <summary>Indices of its parameters, in the module's order.</summary>
        public List<int> Members { get; } = members;
    }

    /// <summary>The groups, in the order they were made; every parameter is in exactly one.</summary>
    public IReadOnlyList<Group> Groups => groups;

    /// <summary>The parameters' names, in the module's order.</summary>
    public IReadOnlyList<string> ParameterNames => names;

    /// <summary>
    /// Moves the parameters <paramref name="belongs"/> selects out of their groups into a new group
    /// <paramref name="name"/> at <paramref name="scale"/>; their Adam moments go with them. Empty groups left behind
    /// are removed. Throws when the name is taken or nothing is selected.
    /// </summary>
    public Group Split(string name, Func<string, bool> belongs, double scale)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (!(scale >= 0) || double.IsInfinity(scale))
            throw new ArgumentOutOfRangeException(nameof(scale), scale, "A group's learning-rate scale must be 0 or a positive finite number.");
        if (groups.Any(g => g.Name == name))
            throw new ArgumentException($"There is a parameter group '{name}' already; groups: {string.Join(", ", groups.Select(g => g.Name))}.", nameof(name));
        var members = Enumerable.Range(0, names.Length).Where(i => belongs(names[i])).ToList();
        if (members.Count == 0)
            throw new ArgumentException($"No parameter is selected for group '{name}'. The parameters are: {DescribeNames()}.", nameof(belongs));
        foreach (var group in groups)
            group.Members.RemoveAll(members.Contains);
        groups.RemoveAll(g => g.Members.Count == 0);
        var made = new Group(name, scale, members);
        groups.Add(made);
        return made;
    }

    /// <summary>The parameters' names, shortened to their first parts when there are many.</summary>
    public string DescribeNames()
    {
        var prefixes = names.Select(n => n.Contains('.') ? n[..n.IndexOf('.')] + ".*" : n).Distinct().ToArray();
        return prefixes.Length <= 30 ? string.Join(", ", prefixes) : string.Join(", ", prefixes.Take(30)) + $", … ({prefixes.Length} in all)";
    }
    /// <summary>Clears every parameter's gradient.</summary>
    public void ZeroGrad()
    {
        using var scope = NewDisposeScope();
        foreach (var p in parameters)
            p.grad?.zero_();
    }

    /// <summary>One Adam update of every parameter that requires and has a gradient, each at its group's rate.</summary>
    public void Step()
    {
        steps++;
        var biasCorrection1 = 1 - Math.Pow(Beta1, steps);
        var biasCorrection2 = 1 - Math.Pow(Beta2, steps);
        var secondScale = (1 / Math.Sqrt(biasCorrection2)).ToScalar();
        foreach (var group in groups)
        {
            var stepSize = (-LearningRate * group.Scale / biasCorrection1).ToScalar();
            StepGroup(group, stepSize, secondScale);
            GC.KeepAlive(stepSize);
            stepSize.Dispose();
        }
        GC.KeepAlive(secondScale);
        secondScale.Dispose();
    }

    private void StepGroup(Group group, Scalar stepSize, Scalar secondScale)
    {
        using (no_grad())
        using (var scope = NewDisposeScope())
        {
            foreach (var i in group.Members)
            {
                var gradient = parameters[i].grad;
                if (gradient is null || !parameters[i].requires_grad)
                    continue;
                if (decays)
                    gradient = gradient.add(parameters[i], weightDecay);
                firstMoments[i].mul_(beta1).add_(gradient, oneMinusBeta1);
                secondMoments[i].mul_(beta2).addcmul_(gradient, gradient, oneMinusBeta2);
                var denominator = secondMoments[i].sqrt().mul_(secondScale).add_(epsilon, one);
                parameters[i].addcdiv_(firstMoments[i], denominator, stepSize);
            }
        }
    }

    // *** Binary format (checkpoints) ***
    // int: state version; long: steps taken; int: parameter count;
    // then for each parameter: the first moments, then the second moments, each as int value count + floats;
    // (version 2) then int: group count, and per group: string name, double scale, int member count, int members.

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
        writer.Write(groups.Count);
        foreach (var group in groups)
        {
            writer.Write(group.Name);
            writer.Write(group.Scale);
            writer.Write(group.Members.Count);
            foreach (var i in group.Members) writer.Write(i);
        }
    }

    public void Load(BinaryReader reader)
    {
        var version = reader.ReadInt32();
        if (version < OldestStateVersion || version > StateVersion)
            throw new InvalidDataException($"The optimiser state is of version {version}, not one of {OldestStateVersion}–{StateVersion}.");
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
        if (version >= 2)
            ReadGroups(reader);
        steps = savedSteps;
    }

    private void ReadGroups(BinaryReader reader)
    {
        var count = reader.ReadInt32();
        if (count < 1 || count > parameters.Length)
            throw new InvalidDataException($"The optimiser state holds {count} parameter groups for {parameters.Length} parameters.");
        var read = new List<Group>(count);
        var seen = new bool[parameters.Length];
        for (var g = 0; g < count; g++)
        {
            var name = reader.ReadString();
            var scale = reader.ReadDouble();
            var members = reader.ReadInt32();
            if (name.Length == 0 || !(scale >= 0) || double.IsInfinity(scale) || members < 1 || members > parameters.Length)
                throw new InvalidDataException($"The optimiser state's parameter group {g + 1} is damaged.");
            var list = new List<int>(members);
            for (var k = 0; k < members; k++)
            {
                var i = reader.ReadInt32();
                if (i < 0 || i >= parameters.Length || seen[i])
                    throw new InvalidDataException($"The optimiser state's parameter group '{name}' names parameter {i}, which is out of range or in two groups.");
                seen[i] = true;
                list.Add(i);
            }
            read.Add(new Group(name, scale, list));
        }
        if (seen.Contains(false))
            throw new InvalidDataException("The optimiser state's parameter groups leave a parameter out.");
        groups.Clear();
        groups.AddRange(read);
    }

    public void Dispose()
    {
        foreach (var t in firstMoments.Concat(secondMoments)) t.Dispose();
        foreach (var s in new[] { beta1, oneMinusBeta1, beta2, oneMinusBeta2, epsilon, one, weightDecay }) s.Dispose();
    }
}
