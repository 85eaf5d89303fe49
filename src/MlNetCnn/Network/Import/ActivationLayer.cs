using System.Globalization;
using MlNetCnn.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetCnn.Network.Import;

/// <summary>
/// The element-wise operators of one input: Relu, Clip, LeakyRelu, Sigmoid, HardSigmoid, HardSwish, and Dropout and
/// Identity (Dropout drops in training mode only, as PyTorch's does).
/// </summary>
internal sealed class ActivationLayer : GraphLayer
{
    /// <summary>ONNX's HardSigmoid defaults (PyTorch's hardsigmoid is alpha 1/6).</summary>
    private const float DefaultHardSigmoidAlpha = 0.2f;
    private const float DefaultHardSigmoidBeta = 0.5f;
    private const float DefaultLeakyReluAlpha = 0.01f;
    private const float DefaultDropoutRatio = 0.5f;
    // Clip's operands moved from attributes to inputs in opset 11; Dropout's ratio in opset 12.
    private const long ClipInputsOpset = 11;
    private const long DropoutInputsOpset = 12;

    public ActivationLayer(string name, OnnxNode node, LayerContext context)
        : base(name, node, new[] { node.Input(0) }, node.Outputs[0])
    {
        switch (node.OpType)
        {
            case "Clip" when context.Opset < ClipInputsOpset:
                Min = node.Attribute("min") is null ? null : node.Float("min", 0);
                Max = node.Attribute("max") is null ? null : node.Float("max", 0);
                break;
            case "Clip":
                Min = context.Data(node, 1, "min") is null ? null : context.Scalar(node, 1, "min", 0);
                Max = context.Data(node, 2, "max") is null ? null : context.Scalar(node, 2, "max", 0);
                break;
            case "LeakyRelu":
                Alpha = node.Float("alpha", DefaultLeakyReluAlpha);
                break;
            case "HardSigmoid":
                Alpha = node.Float("alpha", DefaultHardSigmoidAlpha);
                Beta = node.Float("beta", DefaultHardSigmoidBeta);
                break;
            case "Dropout":
                Ratio = context.Opset < DropoutInputsOpset ? node.Float("ratio", DefaultDropoutRatio) : context.Scalar(node, 1, "ratio", DefaultDropoutRatio);
                if (Ratio is < 0 or >= 1)
                    throw Refuse($"ratio {Ratio} is outside [0, 1).");
                break;
        }
    }

    /// <summary>Clip's lower bound; null for none.</summary>
    public float? Min { get; }

    /// <summary>Clip's upper bound; null for none.</summary>
    public float? Max { get; }

    /// <summary>LeakyRelu's slope or HardSigmoid's alpha.</summary>
    public float Alpha { get; }

    /// <summary>HardSigmoid's beta.</summary>
    public float Beta { get; }

    /// <summary>Dropout's ratio.</summary>
    public float Ratio { get; }

    public override bool CanRunInPlace => Node.OpType is "Relu" or "Clip";

    public override bool WritesNewTensor => Node.OpType is not ("Identity" or "Dropout");

    public override long[] OutputShape(IReadOnlyList<long[]> inputs) => inputs[0];

    public override string Kind(IReadOnlyList<long[]> inputs, long[] output) => Node.OpType switch
    {
        "Clip" => $"Clip({Number(Min) ?? "−∞"}, {Number(Max) ?? "∞"})",
        "LeakyRelu" => $"LeakyRelu({Number(Alpha)})",
        "HardSigmoid" => $"HardSigmoid({Number(Alpha)}, {Number(Beta)})",
        "Dropout" => $"Dropout({Number(Ratio)})",
        _ => Node.OpType,
    };

    public override LayerModule CreateModule(IReadOnlyDictionary<string, OnnxTensor> weights) => new Module(Name, this);

    public override void WriteOnnx(OnnxGraph graph, IReadOnlyList<string> inputs, string output, LayerModule module, IReadOnlyList<long[]> inputShapes, string prefix)
    {
        var x = inputs[0];
        string Scalar(string part, float? value) =>
            value is { } v ? graph.Initializer($"{prefix}{Name}.{part}", Array.Empty<long>(), new[] { v }) : "";
        switch (Node.OpType)
        {
            case "Clip":
                graph.Node("Clip", output, new[] { x, Scalar("min", Min), Scalar("max", Max) });
                break;
            case "LeakyRelu":
                graph.Node("LeakyRelu", output, new[] { x }, ("alpha", Alpha));
                break;
            case "HardSigmoid":
                graph.Node("HardSigmoid", output, new[] { x }, ("alpha", Alpha), ("beta", Beta));
                break;
            case "HardSwish":
                // HardSwish arrived in opset 14; the writer's opset 13 has x · HardSigmoid(x; 1/6, 1/2), the same function.
                var gate = graph.Node("HardSigmoid", $"{output}_gate", new[] { x }, ("alpha", 1f / 6), ("beta", 0.5f));
                graph.Node("Mul", output, new[] { x, gate });
                break;
            case "Dropout":
            case "Identity":
                graph.Node("Identity", output, new[] { x });
                break;
            default:
                graph.Node(Node.OpType, output, new[] { x });
                break;
        }
    }

    private static string? Number(float? value) => value?.ToString("G4", CultureInfo.InvariantCulture);

    /// <summary>The operator in libtorch; its scalars are held for the module's lifetime (see BatchCounters).</summary>
    private sealed class Module : LayerModule
    {
        private readonly ActivationLayer layer;
        private readonly Scalar? min;
        private readonly Scalar? max;
        private readonly Scalar alpha;
        private readonly Scalar beta;
        private readonly Scalar zero = 0f.ToScalar();
        private readonly Scalar one = 1f.ToScalar();

        public Module(string name, ActivationLayer layer) : base(name)
        {
            this.layer = layer;
            min = layer.Min?.ToScalar();
            max = layer.Max?.ToScalar();
            alpha = layer.Alpha.ToScalar();
            beta = layer.Beta.ToScalar();
            RegisterComponents();
        }

        public override Tensor forward(IReadOnlyList<Tensor> inputs)
        {
            var x = inputs[0];
            switch (layer.Node.OpType)
            {
                case "Relu":
                    return nn.functional.relu(x);
                case "Clip":
                    return x.clamp(min, max);
                case "LeakyRelu":
                    return nn.functional.leaky_relu(x, layer.Alpha);
                case "Sigmoid":
                    return x.sigmoid();
                case "HardSigmoid":
                    using (var scaled = x.mul(alpha))
                    using (var shifted = scaled.add(beta))
                        return shifted.clamp(zero, one);
                case "HardSwish":
                    return nn.functional.hardswish(x);
                case "Dropout" when training && layer.Ratio > 0:
                    return nn.functional.dropout(x, layer.Ratio, training: true);
                default:
                    // Identity, or Dropout when evaluating: a new handle on the same values, so that each value the
                    // graph names is its own tensor to dispose.
                    return x.alias();
            }
        }

        public override Tensor ForwardInPlace(IReadOnlyList<Tensor> inputs) => layer.Node.OpType switch
        {
            "Relu" => inputs[0].relu_(),
            "Clip" => inputs[0].clamp_(min, max),
            _ => forward(inputs),
        };

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                min?.Dispose();
                max?.Dispose();
                alpha.Dispose();
                beta.Dispose();
                zero.Dispose();
                one.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
