using MlNetCnn.Onnx;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetCnn.Network.Import;

/// <summary>
/// Gemm, or MatMul by a constant (with the Add of a bias that follows it, when there is one): a dense layer over the
/// last dimension. State: weight <c>[out, in]</c> (PyTorch's Linear layout: Gemm's B transposed unless transB = 1,
/// times alpha) and bias <c>[out]</c> (Gemm's C times beta, or the Add's constant).
/// </summary>
internal sealed class DenseLayer : GraphLayer
{
    private readonly OnnxTensor weight;
    private readonly OnnxTensor? bias;
    private readonly bool transposed;
    private readonly float alpha;
    private readonly float beta;

    /// <param name="name">The layer's name.</param>
    /// <param name="node">The Gemm or MatMul node.</param>
    /// <param name="context">The graph's constants.</param>
    /// <param name="biasAdd">The Add that adds a bias to a MatMul's product, folded into this layer; null for none.</param>
    public DenseLayer(string name, OnnxNode node, LayerContext context, OnnxNode? biasAdd)
        : base(name, node, new[] { node.Input(0) }, biasAdd?.Outputs[0] ?? node.Outputs[0])
    {
        BiasAdd = biasAdd;
        weight = context.Weight(node, 1, "weight")!;
        if (weight.Dims.Length != 2)
            throw Refuse($"its weight '{weight.Name}' has shape {weight.Shape}; a dense layer's is 2-D.");
        if (node.OpType == "Gemm")
        {
            if (node.Int("transA", 0) != 0)
                throw Refuse("transA = 1 (a transposed input) is not supported.");
            transposed = node.Int("transB", 0) != 0;
            alpha = node.Float("alpha", 1);
            beta = node.Float("beta", 1);
            bias = context.Weight(node, 2, "bias");
        }
        else
        {
            alpha = beta = 1;
            if (biasAdd is not null)
                bias = context.Weight(biasAdd, biasAdd.Inputs[0] == node.Outputs[0] ? 1 : 0, "bias");
        }
        Outputs = transposed ? weight.Dims[0] : weight.Dims[1];
        InputsPerRow = transposed ? weight.Dims[1] : weight.Dims[0];
        if (bias is not null && bias.ElementCount != Outputs && bias.ElementCount != 1)
            throw Refuse($"its bias '{bias.Name}' has shape {bias.Shape}; {Outputs} outputs need [{Outputs}].");
    }

    /// <summary>The Add folded into this layer, if any.</summary>
    public OnnxNode? BiasAdd { get; }

    /// <summary>Input features.</summary>
    public long InputsPerRow { get; }

    /// <summary>Output features.</summary>
    public long Outputs { get; }

    public override string Op => BiasAdd is null ? Node.OpType : "MatMul+Add";

    public override IReadOnlyList<string> StateInitializers => bias is null ? new[] { weight.Name } : new[] { weight.Name, bias.Name };

    public override IReadOnlyList<LayerState> State => bias is null
        ? new[] { new LayerState("weight", new[] { Outputs, InputsPerRow }, true) }
        : new[] { new LayerState("weight", new[] { Outputs, InputsPerRow }, true), new LayerState("bias", new[] { Outputs }, true) };

    public override long[] OutputShape(IReadOnlyList<long[]> inputs)
    {
        var x = inputs[0];
        if (x.Length < 2 || x[^1] != InputsPerRow || (Node.OpType == "Gemm" && x.Length != 2))
            throw Refuse($"its input has shape {Text(x)}; its weight {weight.Shape}{(transposed ? " (transB)" : "")} takes {(Node.OpType == "Gemm" ? "[N, " : "[…, ")}{InputsPerRow}].");
        return x[..^1].Append(Outputs).ToArray();
    }

    public override long Flops(IReadOnlyList<long[]> inputs, long[] output) =>
        2 * InputsPerRow * output.Skip(1).Aggregate(1L, (product, d) => product * d);

    public override string Kind(IReadOnlyList<long[]> inputs, long[] output) => $"{Op}({InputsPerRow}→{Outputs})";

    public override LayerModule CreateModule(IReadOnlyDictionary<string, OnnxTensor> weights) => new Module(Name, this, weights);

    public override void WriteOnnx(OnnxGraph graph, IReadOnlyList<string> inputs, string output, LayerModule module, IReadOnlyList<long[]> inputShapes, string prefix)
    {
        var dense = (Module)module;
        var w = LayerModule.ValuesOf(dense.Weight);
        var b = dense.Bias is { } t ? LayerModule.ValuesOf(t) : null;
        if (inputShapes[0].Length == 2)
        {
            var operands = new List<string> { inputs[0], graph.Initializer($"{prefix}{Name}.weight", new[] { Outputs, InputsPerRow }, w) };
            if (b is not null)
                operands.Add(graph.Initializer($"{prefix}{Name}.bias", new[] { Outputs }, b));
            graph.Node("Gemm", output, operands, ("transB", 1L));
            return;
        }
        // MatMul over the last dimension of a larger tensor: MatMul by the weight as [in, out], then the bias.
        var transposedWeight = new float[w.Length];
        for (var o = 0; o < Outputs; o++)
            for (var i = 0; i < InputsPerRow; i++)
                transposedWeight[i * Outputs + o] = w[o * InputsPerRow + i];
        var product = b is null ? output : $"{output}_product";
        graph.Node("MatMul", product, new[] { inputs[0], graph.Initializer($"{prefix}{Name}.weight", new[] { InputsPerRow, Outputs }, transposedWeight) });
        if (b is not null)
            graph.Node("Add", output, new[] { product, graph.Initializer($"{prefix}{Name}.bias", new[] { Outputs }, b) });
    }

    /// <summary>The dense layer in libtorch, with PyTorch Linear's names and layout.</summary>
    private sealed class Module : LayerModule
    {
        private readonly Parameter weight;
        private readonly Parameter? bias;

        public Module(string name, DenseLayer layer, IReadOnlyDictionary<string, OnnxTensor> weights) : base(name)
        {
            // Scalars held across the native calls that read them (see BatchCounters).
            using var alpha = layer.alpha.ToScalar();
            using var beta = layer.beta.ToScalar();
            using (var w = Values(weights, layer.weight, layer.weight.Dims))
            using (var oriented = layer.transposed ? w.alias() : w.t())
            using (var scaled = oriented.mul(alpha))
                weight = new Parameter(scaled.contiguous());
            if (layer.bias is not null)
            {
                using var b = Values(weights, layer.bias, layer.bias.Dims);
                using var scaledBias = b.mul(beta);
                using var flat = scaledBias.reshape(-1);
                using var expanded = flat.expand(layer.Outputs);
                bias = new Parameter(expanded.contiguous());
            }
            RegisterComponents();
        }

        public Parameter Weight => weight;

        public Parameter? Bias => bias;

        public override Tensor forward(IReadOnlyList<Tensor> inputs) => nn.functional.linear(inputs[0], weight, bias);
    }
}
