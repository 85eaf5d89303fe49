using MlNetCnn.Onnx;
using static TorchSharp.torch;

namespace MlNetCnn.Network.Import;

/// <summary>Concat of computed values along one axis (channels, in an image network).</summary>
internal sealed class ConcatLayer : GraphLayer
{
    public ConcatLayer(string name, OnnxNode node, LayerContext context)
        : base(name, node, node.Inputs, node.Outputs[0])
    {
        if (node.Attribute("axis") is null)
            throw Refuse("it has no axis.");
        Axis = node.Int("axis", 1);
        if (node.Inputs.FirstOrDefault(i => context.Constant(i) is not null) is { } constant)
            throw Refuse($"its input '{constant}' is a constant; MlNetCnn concatenates computed values only.");
    }

    /// <summary>The axis as the file gives it (negative counts from the end).</summary>
    public long Axis { get; }

    public override long[] OutputShape(IReadOnlyList<long[]> inputs)
    {
        var rank = inputs[0].Length;
        var axis = AxisFor(rank);
        var output = inputs[0].ToArray();
        foreach (var shape in inputs.Skip(1))
        {
            if (shape.Length != rank || Enumerable.Range(0, rank).Any(d => d != axis && shape[d] != output[d]))
                throw Refuse($"its inputs' shapes {string.Join(", ", inputs.Select(Text))} differ outside axis {Axis}.");
            output[axis] += shape[axis];
        }
        return output;
    }

    public override string Kind(IReadOnlyList<long[]> inputs, long[] output) => $"Concat({inputs.Count} inputs, axis {Axis})";

    public override LayerModule CreateModule(IReadOnlyDictionary<string, OnnxTensor> weights) => new Module(Name, this);

    public override void WriteOnnx(OnnxGraph graph, IReadOnlyList<string> inputs, string output, LayerModule module, IReadOnlyList<long[]> inputShapes, string prefix) =>
        graph.Node("Concat", output, inputs, ("axis", Axis));

    private int AxisFor(long rank)
    {
        var axis = Axis < 0 ? Axis + rank : Axis;
        return axis >= 0 && axis < rank ? (int)axis : throw Refuse($"axis {Axis} is outside a rank-{rank} input.");
    }

    private sealed class Module : LayerModule
    {
        private readonly ConcatLayer layer;

        public Module(string name, ConcatLayer layer) : base(name)
        {
            this.layer = layer;
            RegisterComponents();
        }

        public override Tensor forward(IReadOnlyList<Tensor> inputs) => cat(inputs.ToArray(), layer.AxisFor(inputs[0].ndim));
    }
}
