using MlNetCnn.Network.Import;
using MlNetCnn.Onnx;

namespace MlNetCnn.Tests.Network.Import;

/// <summary>Small ONNX networks written with the project's own writer (OnnxGraph), random weights from a fixed seed.</summary>
internal static class TestGraphs
{
    public const int Side = 32;
    public const int Channels = 3;
    public const int Features = 10;
    public const string Input = "image";

    /// <summary>
    /// A MobileNet-style network on 3×32×32 (opset 14, for HardSwish): a stride-2 stem with HardSwish; an inverted
    /// residual block (1×1 expansion, depthwise 3×3, Clip(0, 6), squeeze-and-excitation with HardSigmoid and Mul,
    /// 1×1 projection, Add); two branches joined by Concat (one through a max pooling), LeakyRelu, Mul by a
    /// constant; a depthwise stride-2 convolution with TensorFlow's asymmetric padding; an average pooling with
    /// asymmetric padding not counted; GlobalAveragePool, Flatten and Gemm to 10 features.
    /// </summary>
    public static byte[] MobileNetStyle(int seed = 1) => Build(seed, (g, w) =>
    {
        var x = ConvBn(g, w, "stem", Input, 3, 16, 3, 2, new long[] { 1, 1, 1, 1 }, groups: 1);
        var stem = g.Node("HardSwish", "stem_act", new[] { x });

        var e = Clip6(g, w, ConvBn(g, w, "b1_expand", stem, 16, 32, 1, 1, new long[4], 1), "b1_expand_act");
        var d = Clip6(g, w, ConvBn(g, w, "b1_dw", e, 32, 32, 3, 1, new long[] { 1, 1, 1, 1 }, groups: 32), "b1_dw_act");
        var squeeze = g.Node("GlobalAveragePool", "b1_se_pool", new[] { d });
        var reduce = g.Node("Relu", "b1_se_relu", new[] { Conv(g, w, "b1_se_reduce", squeeze, 32, 8, 1, 1, new long[4], 1, bias: true) });
        var gate = g.Node("HardSigmoid", "b1_se_gate", new[] { Conv(g, w, "b1_se_expand", reduce, 8, 32, 1, 1, new long[4], 1, bias: true) },
            ("alpha", 1f / 6), ("beta", 0.5f));
        var excited = g.Node("Mul", "b1_se_mul", new[] { d, gate });
        var projected = ConvBn(g, w, "b1_project", excited, 32, 16, 1, 1, new long[4], 1);
        var block = g.Node("Add", "b1_sum", new[] { projected, stem });

        var left = Conv(g, w, "branch_a", block, 16, 8, 1, 1, new long[4], 1, bias: true);
        var pooled = g.Node("MaxPool", "branch_b_pool", new[] { block }, ("kernel_shape", new long[] { 3, 3 }), ("strides", new long[] { 1, 1 }), ("pads", new long[] { 1, 1, 1, 1 }));
        var right = Conv(g, w, "branch_b", pooled, 16, 8, 1, 1, new long[4], 1, bias: true);
        var joined = g.Node("Concat", "join", new[] { left, right }, ("axis", 1L));
        var leaky = g.Node("LeakyRelu", "join_act", new[] { joined }, ("alpha", 0.1f));
        var halved = g.Node("Mul", "halve", new[] { leaky, g.Initializer("half", Array.Empty<long>(), new[] { 0.5f }) });

        var down = ConvBn(g, w, "down_dw", halved, 16, 16, 3, 2, new long[] { 0, 0, 1, 1 }, groups: 16);
        var downAct = g.Node("Sigmoid", "down_act", new[] { down });
        var avg = g.Node("AveragePool", "avg", new[] { downAct }, ("kernel_shape", new long[] { 3, 3 }), ("strides", new long[] { 1, 1 }),
            ("pads", new long[] { 1, 1, 0, 0 }), ("count_include_pad", 0L));
        var global = g.Node("GlobalAveragePool", "global_pool", new[] { avg });
        var flat = g.Node("Flatten", "flatten", new[] { global }, ("axis", 1L));
        return g.Node("Gemm", "head", new[] { flat, g.Initializer("head.w", new long[] { Features, 16 }, w.Normal(Features * 16, 0.3f)),
            g.Initializer("head.b", new long[] { Features }, w.Normal(Features, 0.1f)) }, ("transB", 1L));
    }, outputShape: new long?[] { null, Features });

    /// <summary>
    /// A TensorFlow-style network (opset 14): Pad then a VALID stride-2 convolution, Relu, Dropout, Identity, a max
    /// pooling with asymmetric pads (padded with −∞), a Reshape to [0, −1] (a flattening), and MatMul by a constant
    /// followed by the Add of its bias.
    /// </summary>
    public static byte[] TensorFlowStyle(int seed = 3) => Build(seed, (g, w) =>
    {
        var padded = g.Node("Pad", "pad", new[] { Input, g.Initializer("pad.pads", new long[] { 8 }, new long[] { 0, 0, 1, 2, 0, 0, 2, 1 }),
            g.Initializer("pad.value", Array.Empty<long>(), new[] { 0.25f }) });
        var conv = Conv(g, w, "conv", padded, 3, 8, 3, 2, new long[4], 1, bias: true);
        var relu = g.Node("Relu", "relu", new[] { conv });
        var dropped = g.Node("Dropout", "dropout", new[] { relu });
        var same = g.Node("Identity", "identity", new[] { dropped });
        var pooled = g.Node("MaxPool", "pool", new[] { same }, ("kernel_shape", new long[] { 2, 2 }), ("strides", new long[] { 2, 2 }), ("pads", new long[] { 0, 0, 1, 1 }));
        var flat = g.Node("Reshape", "reshape", new[] { pooled, g.Initializer("reshape.shape", new long[] { 2 }, new long[] { 0, -1 }) });
        var product = g.Node("MatMul", "matmul", new[] { flat, g.Initializer("dense.w", new long[] { 8 * 9 * 9, Features }, w.Normal(8 * 81 * Features, 0.05f)) });
        return g.Node("Add", "dense", new[] { product, g.Initializer("dense.b", new long[] { Features }, w.Normal(Features, 0.1f)) });
    }, outputShape: new long?[] { null, Features });

    /// <summary>Opset 10: Clip with its bounds as attributes (−0.5, 0.5), GlobalAveragePool, Flatten.</summary>
    public static byte[] ClipAttributes() => Build(0, (g, w) =>
    {
        var clipped = g.Node("Clip", "clip", new[] { Input }, ("min", -0.5f), ("max", 0.5f));
        var pooled = g.Node("GlobalAveragePool", "pool", new[] { clipped });
        return g.Node("Flatten", "flat", new[] { pooled }, ("axis", 1L));
    }, outputShape: new long?[] { null, Channels }, opset: 10);

    /// <summary>Input → BatchNormalization (3 channels, ONNX's default momentum 0.9) → GlobalAveragePool → Flatten: batch statistics are the input's.</summary>
    public static byte[] BatchNormOnly(int seed = 2) => Build(seed, (g, w) =>
    {
        var norm = g.Node("BatchNormalization", "norm", new[]
        {
            Input, g.Initializer("scale", new long[] { Channels }, w.Uniform(Channels, 0.5f, 1.5f)), g.Initializer("shift", new long[] { Channels }, w.Normal(Channels, 0.1f)),
            g.Initializer("mean", new long[] { Channels }, w.Normal(Channels, 0.2f)), g.Initializer("var", new long[] { Channels }, w.Uniform(Channels, 0.5f, 1.5f)),
        });
        var pooled = g.Node("GlobalAveragePool", "pool", new[] { norm });
        return g.Node("Flatten", "flat", new[] { pooled }, ("axis", 1L));
    }, outputShape: new long?[] { null, Channels });

    /// <summary>Decodes a test graph for the importer.</summary>
    public static OnnxModelFile Read(byte[] bytes) => OnnxReader.Read(bytes, "the test graph");

    private static byte[] Build(int seed, Func<OnnxGraph, Weights, string> body, long?[] outputShape, long opset = 14)
    {
        var graph = new OnnxGraph("test");
        graph.Input(Input, OnnxGraph.Float, new long?[] { null, Channels, Side, Side }, "N");
        var output = body(graph, new Weights(seed));
        graph.Output(output, OnnxGraph.Float, outputShape, "N", "features");
        var bytes = graph.Model("MlNetCnn.Tests", "1", "test graph", Array.Empty<KeyValuePair<string, string>>()).ToArray();
        // The writer states opset 13; HardSwish needs 14. Read the records, set the opset, write them again.
        return OnnxFileWriter.ToBytes(Read(bytes) with { Opset = opset });
    }

    private static string Conv(OnnxGraph g, Weights w, string name, string x, int inChannels, int outChannels, int kernel, int stride, long[] pads, int groups, bool bias)
    {
        var fanIn = inChannels / groups * kernel * kernel;
        var inputs = new List<string> { x, g.Initializer($"{name}.w", new long[] { outChannels, inChannels / groups, kernel, kernel }, w.Normal(outChannels * fanIn, (float)Math.Sqrt(2.0 / fanIn))) };
        if (bias)
            inputs.Add(g.Initializer($"{name}.b", new long[] { outChannels }, w.Normal(outChannels, 0.1f)));
        return g.Node("Conv", name, inputs, ("kernel_shape", new long[] { kernel, kernel }), ("strides", new long[] { stride, stride }),
            ("pads", pads), ("group", (long)groups));
    }

    private static string ConvBn(OnnxGraph g, Weights w, string name, string x, int inChannels, int outChannels, int kernel, int stride, long[] pads, int groups)
    {
        var conv = Conv(g, w, name, x, inChannels, outChannels, kernel, stride, pads, groups, bias: false);
        long[] c = { outChannels };
        return g.Node("BatchNormalization", $"{name}_bn", new[]
        {
            conv, g.Initializer($"{name}_bn.scale", c, w.Uniform(outChannels, 0.5f, 1.5f)), g.Initializer($"{name}_bn.bias", c, w.Normal(outChannels, 0.1f)),
            g.Initializer($"{name}_bn.mean", c, w.Normal(outChannels, 0.1f)), g.Initializer($"{name}_bn.var", c, w.Uniform(outChannels, 0.5f, 1.5f)),
        }, ("epsilon", 1e-3f), ("momentum", 0.99f));
    }

    private static string Clip6(OnnxGraph g, Weights w, string x, string name) =>
        g.Node("Clip", name, new[] { x, g.Initializer($"{name}.min", Array.Empty<long>(), new[] { 0f }), g.Initializer($"{name}.max", Array.Empty<long>(), new[] { 6f }) });

    /// <summary>Random weights from a fixed seed.</summary>
    private sealed class Weights(int seed)
    {
        private readonly Random random = new(seed);

        public float[] Uniform(int count, float low, float high) => Enumerable.Range(0, count).Select(_ => low + (high - low) * random.NextSingle()).ToArray();

        public float[] Normal(int count, float std) => Enumerable.Range(0, count)
            .Select(_ => std * (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()))).ToArray();
    }
}
