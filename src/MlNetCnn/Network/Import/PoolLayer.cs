using MlNetCnn.Onnx;
using static TorchSharp.torch;

namespace MlNetCnn.Network.Import;

/// <summary>
/// MaxPool, AveragePool and GlobalAveragePool. Asymmetric padding is applied first (−∞ for max pooling; for average
/// pooling zeros, counted or not as count_include_pad says). An average pooling whose window covers the whole
/// feature map at the graph's nominal input size becomes global average pooling, so that other input sizes give
/// the same features instead of a map or an error.
/// </summary>
internal sealed class PoolLayer : GraphLayer
{
    public PoolLayer(string name, OnnxNode node)
        : base(name, node, new[] { node.Input(0) }, node.Outputs[0])
    {
        Max = node.OpType == "MaxPool";
        if (node.OpType == "GlobalAveragePool")
        {
            Global = true;
            return;
        }
        Window = Window2d.Read(node, null);
        CountIncludePad = node.Int("count_include_pad", 0) != 0;
        if (!Max && Window.CeilMode)
            throw Refuse("ceil_mode = 1 on average pooling is not supported.");
        if (!Max && (Window.DilationHeight != 1 || Window.DilationWidth != 1))
            throw Refuse("dilated average pooling is not supported.");
        if (Max && node.Int("storage_order", 0) != 0 && node.Outputs.Count > 1)
            throw Refuse("column-major indices (storage_order = 1) are not supported.");
    }

    /// <summary>Max pooling (else average pooling).</summary>
    public bool Max { get; }

    /// <summary>Average over the whole feature map, whatever its size.</summary>
    public bool Global { get; private set; }

    /// <summary>Whether this average pooling was global in the file or made global on import.</summary>
    public bool MadeGlobal { get; private set; }

    /// <summary>The window (null when global).</summary>
    public Window2d? Window { get; private set; }

    /// <summary>Keeps asymmetric explicit pads "same" at every input size when they are "same" at <paramref name="nominalInput"/> (see <see cref="Window2d.KeptSame"/>).</summary>
    public void KeepSamePadding(long[] nominalInput) => Window = Window?.KeptSame(nominalInput[2], nominalInput[3]);

    /// <summary>Average pooling divides by the whole window, padding included.</summary>
    public bool CountIncludePad { get; }

    public override string Op => Global && MadeGlobal ? "GlobalAveragePool" : Node.OpType;

    /// <summary>
    /// Makes this an average pooling over the whole map when its window is that map at <paramref name="input"/>
    /// (the nominal input size) without padding: ResNet's final 7×7 pooling on 224×224 images. Returns whether it did.
    /// </summary>
    public bool MakeGlobalIfWhole(long[] input)
    {
        if (Max || Global || Window is null || Window.Pads.Any(p => p != 0) || Window.AutoPad is "SAME_UPPER" or "SAME_LOWER")
            return false;
        if (input.Length != 4 || Window.KernelHeight != input[2] || Window.KernelWidth != input[3])
            return false;
        Global = MadeGlobal = true;
        return true;
    }

    public override long[] OutputShape(IReadOnlyList<long[]> inputs)
    {
        var x = inputs[0];
        if (x.Length != 4)
            throw Refuse($"its input has shape {Text(x)}; 2-D pooling takes [N, C, H, W].");
        if (Global)
            return new[] { x[0], x[1], 1, 1 };
        var window = Window!.Resolve(x[2], x[3], Node.Description);
        return new[] { x[0], x[1], window.Height, window.Width };
    }

    public override string Kind(IReadOnlyList<long[]> inputs, long[] output) =>
        MadeGlobal ? $"GlobalAveragePool (was AveragePool {Window!.Describe()})"
        : Global ? "GlobalAveragePool"
        : $"{Node.OpType}({Window!.Describe()}{(!Max && CountIncludePad ? ", padding counted" : "")})";

    public override LayerModule CreateModule(IReadOnlyDictionary<string, OnnxTensor> weights) => new Module(Name, this);

    public override void WriteOnnx(OnnxGraph graph, IReadOnlyList<string> inputs, string output, LayerModule module, IReadOnlyList<long[]> inputShapes, string prefix)
    {
        if (Global)
        {
            graph.Node("GlobalAveragePool", output, inputs);
            return;
        }
        var w = Window!;
        // ceil_mode is written as the end padding it stands for (Resolve folds it in).
        var window = w.Resolve(inputShapes[0][2], inputShapes[0][3], Node.Description);
        var attributes = new List<(string, object)>
        {
            ("kernel_shape", new[] { w.KernelHeight, w.KernelWidth }),
            ("strides", new[] { w.StrideHeight, w.StrideWidth }),
            ("pads", window.OnnxPads),
        };
        if (Max)
            attributes.Add(("dilations", new[] { w.DilationHeight, w.DilationWidth }));
        else
            attributes.Add(("count_include_pad", CountIncludePad ? 1L : 0L));
        graph.Node(Node.OpType, output, inputs, attributes.ToArray());
    }

    /// <summary>Pooling in libtorch.</summary>
    private sealed class Module : LayerModule
    {
        private static readonly long[] Spatial = { 2, 3 };
        private readonly PoolLayer layer;

        public Module(string name, PoolLayer layer) : base(name)
        {
            this.layer = layer;
            RegisterComponents();
        }

        public override Tensor forward(IReadOnlyList<Tensor> inputs)
        {
            var x = inputs[0];
            if (layer.Global)
                return x.mean(Spatial, keepdim: true);
            var w = layer.Window!;
            var kernel = new[] { w.KernelHeight, w.KernelWidth };
            var strides = new[] { w.StrideHeight, w.StrideWidth };
            var window = w.Resolve(x.shape[2], x.shape[3], layer.Node.Description);
            // libtorch pads both sides alike and at most half the kernel; anything else is padded here first.
            var native = window.Symmetric && 2 * window.Top <= w.KernelHeight && 2 * window.Left <= w.KernelWidth;
            var padding = native ? new[] { window.Top, window.Left } : new long[] { 0, 0 };
            if (layer.Max)
            {
                var dilations = new[] { w.DilationHeight, w.DilationWidth };
                if (native)
                    return nn.functional.max_pool2d(x, kernel, strides, padding, dilations);
                using var padded = nn.functional.pad(x, window.TorchPad, value: double.NegativeInfinity);
                return nn.functional.max_pool2d(padded, kernel, strides, padding, dilations);
            }
            if (native || !window.Padded)
                return nn.functional.avg_pool2d(x, kernel, strides, padding, count_include_pad: layer.CountIncludePad);
            using var zeroPadded = nn.functional.pad(x, window.TorchPad);
            var sums = nn.functional.avg_pool2d(zeroPadded, kernel, strides);
            if (layer.CountIncludePad)
                return sums;
            // Padding not counted: divide by the share of each window that lies on the image.
            using var mask = ones(1, 1, x.shape[2], x.shape[3], dtype: x.dtype);
            using var paddedMask = nn.functional.pad(mask, window.TorchPad);
            using var share = nn.functional.avg_pool2d(paddedMask, kernel, strides);
            using (sums)
                return sums.div(share);
        }
    }
}
