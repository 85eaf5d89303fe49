using MlNetCnn.Onnx;
using static TorchSharp.torch;

namespace MlNetCnn.Network.Import;

/// <summary>Pad with a constant around the height and width of <c>[N, C, H, W]</c> (TensorFlow exports pad before a strided convolution).</summary>
internal sealed class PadLayer : GraphLayer
{
    // Pads and value moved from attributes to inputs in opset 11.
    private const long PadInputsOpset = 11;

    public PadLayer(string name, OnnxNode node, LayerContext context)
        : base(name, node, new[] { node.Input(0) }, node.Outputs[0])
    {
        var mode = node.String("mode", "constant");
        if (mode != "constant")
            throw Refuse($"mode '{mode}' is not supported; only constant padding is.");
        long[]? pads;
        if (context.Opset < PadInputsOpset)
        {
            pads = node.Ints("pads");
            Value = node.Float("value", 0);
        }
        else
        {
            pads = context.Data(node, 1, "pads")?.Int64s;
            Value = context.Scalar(node, 2, "constant value", 0);
            if (node.Input(3).Length > 0)
                throw Refuse("padding chosen axes (the axes input) is not supported.");
        }
        // ONNX orders pads as every axis's begin, then every axis's end: [N, C, H, W, N, C, H, W].
        if (pads is not { Length: 8 } || pads[0] != 0 || pads[1] != 0 || pads[4] != 0 || pads[5] != 0 || pads.Any(p => p < 0))
            throw Refuse($"pads {(pads is null ? "(none)" : Text(pads))}; MlNetCnn pads height and width of [N, C, H, W] by 0 or more.");
        Top = pads[2];
        Left = pads[3];
        Bottom = pads[6];
        Right = pads[7];
    }

    public long Top { get; }

    public long Left { get; }

    public long Bottom { get; }

    public long Right { get; }

    /// <summary>The constant written into the margin.</summary>
    public float Value { get; }

    public override long[] OutputShape(IReadOnlyList<long[]> inputs)
    {
        var x = inputs[0];
        if (x.Length != 4)
            throw Refuse($"its input has shape {Text(x)}; MlNetCnn pads [N, C, H, W].");
        return new[] { x[0], x[1], x[2] + Top + Bottom, x[3] + Left + Right };
    }

    public override string Kind(IReadOnlyList<long[]> inputs, long[] output) => $"Pad([{Top}, {Left}, {Bottom}, {Right}])";

    public override LayerModule CreateModule(IReadOnlyDictionary<string, OnnxTensor> weights) => new Module(Name, this);

    public override void WriteOnnx(OnnxGraph graph, IReadOnlyList<string> inputs, string output, LayerModule module, IReadOnlyList<long[]> inputShapes, string prefix)
    {
        var pads = graph.Initializer($"{prefix}{Name}.pads", new long[] { 8 }, new long[] { 0, 0, Top, Left, 0, 0, Bottom, Right });
        var value = graph.Initializer($"{prefix}{Name}.value", Array.Empty<long>(), new[] { Value });
        graph.Node("Pad", output, new[] { inputs[0], pads, value });
    }

    private sealed class Module : LayerModule
    {
        private readonly PadLayer layer;

        public Module(string name, PadLayer layer) : base(name)
        {
            this.layer = layer;
            RegisterComponents();
        }

        public override Tensor forward(IReadOnlyList<Tensor> inputs) =>
            nn.functional.pad(inputs[0], new[] { layer.Left, layer.Right, layer.Top, layer.Bottom }, value: layer.Value);
    }
}
