using MlNetCnn.Onnx;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetCnn.Network.Import;

/// <summary>
/// Conv: a 2-D convolution with groups (depthwise when groups = channels), strides, dilations and padding, asymmetric
/// padding included (padded explicitly first, as libtorch pads both sides alike). State: weight, and bias when the
/// node has one.
/// </summary>
internal sealed class ConvLayer : GraphLayer
{
    private readonly OnnxTensor weight;
    private readonly OnnxTensor? bias;

    public ConvLayer(string name, OnnxNode node, LayerContext context)
        : base(name, node, new[] { node.Input(0) }, node.Outputs[0])
    {
        weight = context.Weight(node, 1, "weight")!;
        bias = context.Weight(node, 2, "bias");
        if (weight.Dims.Length != 4)
            throw Refuse($"its weight '{weight.Name}' has shape {weight.Shape}; a 2-D convolution's is [out, in/groups, kH, kW].");
        Groups = node.Int("group", 1);
        if (Groups < 1 || weight.Dims[0] % Groups != 0)
            throw Refuse($"group {Groups} does not divide its {weight.Dims[0]} output channels.");
        if (bias is not null && (bias.ElementCount != weight.Dims[0]))
            throw Refuse($"its bias '{bias.Name}' has shape {bias.Shape}; {weight.Dims[0]} output channels need [{weight.Dims[0]}].");
        Window = Window2d.Read(node, new[] { weight.Dims[2], weight.Dims[3] });
        if (Window.KernelHeight != weight.Dims[2] || Window.KernelWidth != weight.Dims[3])
            throw Refuse($"kernel_shape [{Window.KernelHeight}, {Window.KernelWidth}] differs from its weight's {weight.Shape}.");
    }

    /// <summary>The convolution's window.</summary>
    public Window2d Window { get; private set; }

    /// <summary>Keeps asymmetric explicit pads "same" at every input size when they are "same" at <paramref name="nominalInput"/> (see <see cref="Window2d.KeptSame"/>).</summary>
    public void KeepSamePadding(long[] nominalInput) => Window = Window.KeptSame(nominalInput[2], nominalInput[3]);

    /// <summary>The number of groups.</summary>
    public long Groups { get; }

    /// <summary>Output channels.</summary>
    public long OutChannels => weight.Dims[0];

    public override IReadOnlyList<string> StateInitializers => bias is null ? new[] { weight.Name } : new[] { weight.Name, bias.Name };

    public override IReadOnlyList<LayerState> State => bias is null
        ? new[] { new LayerState("weight", weight.Dims, true) }
        : new[] { new LayerState("weight", weight.Dims, true), new LayerState("bias", new[] { OutChannels }, true) };

    public override long[] OutputShape(IReadOnlyList<long[]> inputs)
    {
        var x = inputs[0];
        if (x.Length != 4)
            throw Refuse($"its input has shape {Text(x)}; a 2-D convolution takes [N, C, H, W].");
        if (x[1] != weight.Dims[1] * Groups)
            throw Refuse($"its input has {x[1]} channels; its weight {weight.Shape} with group {Groups} takes {weight.Dims[1] * Groups}.");
        var window = Window.Resolve(x[2], x[3], Node.Description);
        return new[] { x[0], OutChannels, window.Height, window.Width };
    }

    public override long Flops(IReadOnlyList<long[]> inputs, long[] output) =>
        2 * weight.Dims[1] * weight.Dims[2] * weight.Dims[3] * output[1] * output[2] * output[3];

    public override string Kind(IReadOnlyList<long[]> inputs, long[] output)
    {
        var groups = Groups == 1 ? "" : Groups == inputs[0][1] && Groups == OutChannels ? ", depthwise" : $", {Groups} groups";
        return $"Conv({inputs[0][1]}→{OutChannels}, {Window.Describe()}{groups})";
    }

    public override LayerModule CreateModule(IReadOnlyDictionary<string, OnnxTensor> weights) => new Module(Name, this, weights);

    public override void WriteOnnx(OnnxGraph graph, IReadOnlyList<string> inputs, string output, LayerModule module, IReadOnlyList<long[]> inputShapes, string prefix)
    {
        var conv = (Module)module;
        var operands = new List<string> { inputs[0], graph.Initializer($"{prefix}{Name}.weight", weight.Dims, LayerModule.ValuesOf(conv.Weight)) };
        if (conv.Bias is { } b)
            operands.Add(graph.Initializer($"{prefix}{Name}.bias", new[] { OutChannels }, LayerModule.ValuesOf(b)));
        var window = Window.Resolve(inputShapes[0][2], inputShapes[0][3], Node.Description);
        graph.Node("Conv", output, operands,
            ("kernel_shape", new[] { Window.KernelHeight, Window.KernelWidth }),
            ("strides", new[] { Window.StrideHeight, Window.StrideWidth }),
            ("dilations", new[] { Window.DilationHeight, Window.DilationWidth }),
            ("pads", window.OnnxPads),
            ("group", Groups));
    }

    /// <summary>The convolution in libtorch; fields named as the weight format ("weight", "bias").</summary>
    private sealed class Module : LayerModule
    {
        private readonly ConvLayer layer;
        private readonly Parameter weight;
        private readonly Parameter? bias;

        public Module(string name, ConvLayer layer, IReadOnlyDictionary<string, OnnxTensor> weights) : base(name)
        {
            this.layer = layer;
            weight = new Parameter(Values(weights, layer.weight, layer.weight.Dims));
            if (layer.bias is not null)
                bias = new Parameter(Values(weights, layer.bias, new[] { layer.OutChannels }));
            RegisterComponents();
        }

        public Parameter Weight => weight;

        public Parameter? Bias => bias;

        public override Tensor forward(IReadOnlyList<Tensor> inputs)
        {
            var x = inputs[0];
            var w = layer.Window;
            var window = w.Resolve(x.shape[2], x.shape[3], layer.Node.Description);
            var strides = new[] { w.StrideHeight, w.StrideWidth };
            var dilations = new[] { w.DilationHeight, w.DilationWidth };
            if (window.Symmetric)
                return nn.functional.conv2d(x, weight, bias, strides, new[] { window.Top, window.Left }, dilations, layer.Groups);
            using var padded = nn.functional.pad(x, window.TorchPad);
            return nn.functional.conv2d(padded, weight, bias, strides, new long[] { 0, 0 }, dilations, layer.Groups);
        }
    }
}
