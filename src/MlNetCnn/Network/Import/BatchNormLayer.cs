using System.Globalization;
using MlNetCnn.Onnx;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetCnn.Network.Import;

/// <summary>
/// BatchNormalization over channels. State: weight and bias (ONNX's scale and B, trained) and running_mean and
/// running_var (ONNX's input_mean and input_var, buffers). In training mode it normalises by the batch's statistics
/// and updates the running ones as PyTorch does (unbiased variance), with PyTorch's momentum = 1 − ONNX's momentum.
/// </summary>
internal sealed class BatchNormLayer : GraphLayer
{
    /// <summary>ONNX's default momentum: running = running × 0.9 + batch × 0.1.</summary>
    public const float DefaultOnnxMomentum = 0.9f;

    /// <summary>ONNX's and PyTorch's default epsilon.</summary>
    public const float DefaultEpsilon = 1e-5f;

    private readonly OnnxTensor[] tensors;

    public BatchNormLayer(string name, OnnxNode node, LayerContext context)
        : base(name, node, new[] { node.Input(0) }, node.Outputs[0])
    {
        var roles = new[] { "scale", "bias", "mean", "variance" };
        tensors = roles.Select((role, i) => context.Weight(node, i + 1, role)
            ?? throw Refuse($"it has no {role} input; BatchNormalization takes X, scale, B, input_mean and input_var.")).ToArray();
        Channels = tensors[0].ElementCount;
        if (tensors.FirstOrDefault(t => t.ElementCount != Channels || t.Dims.Length != 1) is { } odd)
            throw Refuse($"its input '{odd.Name}' has shape {odd.Shape}; each of scale, B, mean and var is [{Channels}].");
        if (node.Int("spatial", 1) != 1)
            throw Refuse("spatial = 0 (statistics per channel and pixel) is not supported; only per-channel batch normalisation is.");
        if (node.Int("training_mode", 0) != 0)
            throw Refuse("training_mode = 1 (a graph exported for training) is not supported; export the model in inference mode.");
        Epsilon = node.Float("epsilon", DefaultEpsilon);
        OnnxMomentum = node.Float("momentum", DefaultOnnxMomentum);
        if (!(Epsilon >= 0) || !(OnnxMomentum is >= 0 and <= 1))
            throw Refuse($"epsilon {Epsilon} or momentum {OnnxMomentum} is out of range (epsilon ≥ 0, momentum in [0, 1]).");
    }

    /// <summary>The number of channels.</summary>
    public long Channels { get; }

    /// <summary>Added to the variance before the square root.</summary>
    public float Epsilon { get; }

    /// <summary>ONNX's momentum: the share of the running statistics kept at each training step.</summary>
    public float OnnxMomentum { get; }

    /// <summary>PyTorch's momentum: the share of the batch statistics taken at each training step.</summary>
    public double TorchMomentum => 1 - (double)OnnxMomentum;

    public override IReadOnlyList<string> StateInitializers => tensors.Select(t => t.Name).ToArray();

    public override IReadOnlyList<LayerState> State => new[]
    {
        new LayerState("weight", new[] { Channels }, true),
        new LayerState("bias", new[] { Channels }, true),
        new LayerState("running_mean", new[] { Channels }, false),
        new LayerState("running_var", new[] { Channels }, false),
    };

    public override long[] OutputShape(IReadOnlyList<long[]> inputs)
    {
        var x = inputs[0];
        if (x.Length < 2 || x[1] != Channels)
            throw Refuse($"its input has shape {Text(x)}; its statistics are for {Channels} channels (dimension 1).");
        return x;
    }

    public override string Kind(IReadOnlyList<long[]> inputs, long[] output) =>
        $"BatchNormalization({Channels}, eps {Epsilon.ToString("G3", CultureInfo.InvariantCulture)})";

    public override LayerModule CreateModule(IReadOnlyDictionary<string, OnnxTensor> weights) => new Module(Name, this, weights);

    public override void WriteOnnx(OnnxGraph graph, IReadOnlyList<string> inputs, string output, LayerModule module, IReadOnlyList<long[]> inputShapes, string prefix)
    {
        var norm = (Module)module;
        var dims = new[] { Channels };
        string Write(string part, Tensor t) => graph.Initializer($"{prefix}{Name}.{part}", dims, LayerModule.ValuesOf(t));
        graph.Node("BatchNormalization", output,
            new[] { inputs[0], Write("weight", norm.Weight), Write("bias", norm.Bias), Write("running_mean", norm.RunningMean), Write("running_var", norm.RunningVar) },
            ("epsilon", Epsilon), ("momentum", OnnxMomentum));
    }

    /// <summary>Batch normalisation in libtorch; fields named as PyTorch's BatchNorm2d names its state.</summary>
    private sealed class Module : LayerModule
    {
        private readonly BatchNormLayer layer;
        private readonly Parameter weight;
        private readonly Parameter bias;
        private readonly Tensor running_mean;
        private readonly Tensor running_var;

        public Module(string name, BatchNormLayer layer, IReadOnlyDictionary<string, OnnxTensor> weights) : base(name)
        {
            this.layer = layer;
            var dims = new[] { layer.Channels };
            weight = new Parameter(Values(weights, layer.tensors[0], dims, fallback: 1));
            bias = new Parameter(Values(weights, layer.tensors[1], dims));
            running_mean = Values(weights, layer.tensors[2], dims);
            running_var = Values(weights, layer.tensors[3], dims, fallback: 1);
            RegisterComponents();
        }

        public Tensor Weight => weight;

        public Tensor Bias => bias;

        public Tensor RunningMean => running_mean;

        public Tensor RunningVar => running_var;

        public override Tensor forward(IReadOnlyList<Tensor> inputs) =>
            nn.functional.batch_norm(inputs[0], running_mean, running_var, weight, bias, training, layer.TorchMomentum, layer.Epsilon);
    }
}
