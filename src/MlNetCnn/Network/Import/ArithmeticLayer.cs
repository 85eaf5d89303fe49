using MlNetCnn.Onnx;
using static TorchSharp.torch;

namespace MlNetCnn.Network.Import;

/// <summary>
/// Add and Mul with NumPy broadcasting: of two computed values (a residual sum, a squeeze-and-excitation gate), or of
/// a value and a constant (which stays a constant of the structure, not trained).
/// </summary>
internal sealed class ArithmeticLayer : GraphLayer
{
    // Per operand: the constant, or null where the operand is computed (taken in order from Inputs).
    private readonly OnnxTensor?[] operands;

    public ArithmeticLayer(string name, OnnxNode node, LayerContext context)
        : base(name, node, node.Inputs.Where(i => context.Constant(i) is null).ToArray(), node.Outputs[0])
    {
        if (node.Inputs.Count != 2)
            throw Refuse($"it has {node.Inputs.Count} inputs; {node.OpType} takes two.");
        operands = node.Inputs.Select(i => context.Constant(i)).ToArray();
        if (Inputs.Count == 0)
            throw Refuse("both operands are constants; fold them before import.");
        foreach (var constant in operands.OfType<OnnxTensor>())
        {
            if (constant.DataType is not (OnnxDataType.Float or OnnxDataType.Double) || constant.Floats is null)
                throw Refuse($"its constant '{constant.Name}' is {OnnxDataType.Name(constant.DataType)} without float values; MlNetCnn imports float constants.");
        }
    }

    /// <summary>In place over a computed first operand (a residual sum over the block's last batch norm), not over a constant.</summary>
    public override bool CanRunInPlace => operands[0] is null && Node.Inputs[0] != Node.Inputs[1];

    public override long[] OutputShape(IReadOnlyList<long[]> inputs)
    {
        var computed = 0;
        var shapes = operands.Select(c => c?.Dims ?? inputs[computed++]).ToArray();
        return Broadcast(shapes[0], shapes[1]);
    }

    public override string Kind(IReadOnlyList<long[]> inputs, long[] output) =>
        operands.FirstOrDefault(c => c is not null) is { } constant
            ? $"{Node.OpType}(constant {(constant.ElementCount == 1 ? constant.Floats![0].ToString("G4", System.Globalization.CultureInfo.InvariantCulture) : constant.Shape)})"
            : Node.OpType;

    public override LayerModule CreateModule(IReadOnlyDictionary<string, OnnxTensor> weights) => new Module(Name, this);

    public override void WriteOnnx(OnnxGraph graph, IReadOnlyList<string> inputs, string output, LayerModule module, IReadOnlyList<long[]> inputShapes, string prefix)
    {
        var computed = 0;
        var names = operands.Select((c, i) => c is null ? inputs[computed++] : graph.Initializer($"{prefix}{Name}.constant{i}", c.Dims, c.Floats!)).ToArray();
        graph.Node(Node.OpType, output, names);
    }

    private long[] Broadcast(long[] a, long[] b)
    {
        var rank = Math.Max(a.Length, b.Length);
        var result = new long[rank];
        for (var i = 1; i <= rank; i++)
        {
            var x = i <= a.Length ? a[^i] : 1;
            var y = i <= b.Length ? b[^i] : 1;
            if (x != y && x != 1 && y != 1)
                throw Refuse($"its operands' shapes {Text(a)} and {Text(b)} do not broadcast.");
            result[^i] = x == 1 ? y : x;
        }
        return result;
    }

    /// <summary>The operator in libtorch; constants are made per call in the input's type (they are not state).</summary>
    private sealed class Module : LayerModule
    {
        private readonly ArithmeticLayer layer;

        public Module(string name, ArithmeticLayer layer) : base(name)
        {
            this.layer = layer;
            RegisterComponents();
        }

        public override Tensor forward(IReadOnlyList<Tensor> inputs) => Run(inputs, inPlace: false);

        public override Tensor ForwardInPlace(IReadOnlyList<Tensor> inputs) => Run(inputs, inPlace: true);

        private Tensor Run(IReadOnlyList<Tensor> inputs, bool inPlace)
        {
            var computed = 0;
            var made = new List<Tensor>();
            try
            {
                var values = layer.operands.Select(c =>
                {
                    if (c is null)
                        return inputs[computed++];
                    using var constant = TensorBridge.FromSpan(c.Floats!, c.Dims);
                    var typed = constant.to_type(inputs[0].dtype);
                    made.Add(typed);
                    return typed;
                }).ToArray();
                var mul = layer.Node.OpType == "Mul";
                return inPlace
                    ? (mul ? values[0].mul_(values[1]) : values[0].add_(values[1]))
                    : (mul ? values[0].mul(values[1]) : values[0].add(values[1]));
            }
            finally
            {
                foreach (var tensor in made)
                    tensor.Dispose();
            }
        }
    }
}
