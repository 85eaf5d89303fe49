using MlNetCnn.Onnx;
using static TorchSharp.torch;

namespace MlNetCnn.Network.Import;

/// <summary>
/// Flatten at axis 1, or a Reshape whose constant shape flattens the same way (<c>[N, C, H, W]</c> to
/// <c>[N, C·H·W]</c>): the image's values become one feature vector, for any batch size (a shape of <c>[1, -1]</c>
/// written for batch 1 flattens a batch of 32 as well).
/// </summary>
internal sealed class FlattenLayer : GraphLayer
{
    private readonly long[]? shape;

    public FlattenLayer(string name, OnnxNode node, LayerContext context)
        : base(name, node, new[] { node.Input(0) }, node.Outputs[0])
    {
        if (node.OpType == "Flatten")
        {
            Axis = node.Int("axis", 1);
            return;
        }
        shape = (context.Opset < 5 ? node.Ints("shape") : context.Data(node, 1, "shape")?.Int64s)
            ?? throw Refuse("its shape is not an int64 constant.");
        if (node.Int("allowzero", 0) != 0 && shape.Contains(0))
            throw Refuse("allowzero = 1 with a 0 in the shape is not supported.");
    }

    /// <summary>Flatten's axis.</summary>
    public long Axis { get; }

    public override long[] OutputShape(IReadOnlyList<long[]> inputs)
    {
        var x = inputs[0];
        var features = x.Skip(1).Aggregate(1L, (product, d) => product * d);
        if (shape is null)
        {
            var axis = Axis < 0 ? Axis + x.Length : Axis;
            if (axis != 1)
                throw Refuse($"axis {Axis} on a {Text(x)} input does not keep the batch apart; only axis 1 is supported.");
            return new[] { x[0], features };
        }
        var target = Resolve(x);
        if (target.Length != 2 || target[0] != x[0] || target[1] != features)
            throw Refuse($"it reshapes {Text(x)} to {Text(target)}; MlNetCnn imports a Reshape only when it flattens each image to [N, features].");
        return target;
    }

    public override bool WritesNewTensor => false;

    public override string Kind(IReadOnlyList<long[]> inputs, long[] output) => shape is null ? "Flatten" : $"Reshape({Text(shape)}, a flattening)";

    public override LayerModule CreateModule(IReadOnlyDictionary<string, OnnxTensor> weights) => new Module(Name);

    public override void WriteOnnx(OnnxGraph graph, IReadOnlyList<string> inputs, string output, LayerModule module, IReadOnlyList<long[]> inputShapes, string prefix) =>
        graph.Node("Flatten", output, inputs, ("axis", 1L));

    /// <summary>The Reshape's target for <paramref name="input"/>: 0 copies the input's dimension, −1 takes what is left.</summary>
    private long[] Resolve(long[] input)
    {
        var target = shape!.Select((d, i) => d == 0 && i < input.Length ? input[i] : d).ToArray();
        var total = input.Aggregate(1L, (product, d) => product * d);
        var known = target.Where(d => d != -1).Aggregate(1L, (product, d) => product * d);
        var unknown = target.Count(d => d == -1);
        if (unknown > 1 || target.Any(d => d < -1) || known == 0 || (unknown == 1 ? total % known != 0 : known != total))
            throw Refuse($"its shape {Text(shape!)} does not fit a {Text(input)} input.");
        return target.Select(d => d == -1 ? total / known : d).ToArray();
    }

    private sealed class Module : LayerModule
    {
        public Module(string name) : base(name)
        {
            RegisterComponents();
        }

        public override Tensor forward(IReadOnlyList<Tensor> inputs) => inputs[0].flatten(1);
    }
}
