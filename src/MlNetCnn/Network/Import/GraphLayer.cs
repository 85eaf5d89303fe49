using MlNetCnn.Onnx;
using static TorchSharp.torch;

namespace MlNetCnn.Network.Import;

/// <summary>One state tensor of a layer: its name inside the layer ("weight"), shape, and whether training updates it by gradient.</summary>
internal sealed record LayerState(string Name, long[] Shape, bool Trainable)
{
    /// <summary>The number of values.</summary>
    public long Count => Shape.Aggregate(1L, (product, d) => product * d);
}

/// <summary>
/// One layer of an imported graph: a node (or a MatMul with the Add of its bias) as plain structure — what it
/// computes, its state's names and shapes, its output shape for an input shape — and how it becomes a TorchSharp
/// module and ONNX nodes again. Each operator family owns all of these in one class.
/// </summary>
internal abstract class GraphLayer
{
    protected GraphLayer(string name, OnnxNode node, IReadOnlyList<string> inputs, string output)
    {
        Name = name;
        Node = node;
        Inputs = inputs;
        Output = output;
    }

    /// <summary>The layer's module name in <see cref="OnnxGraphModule"/>: its state is "<c>Name.weight</c>" and so on.</summary>
    public string Name { get; }

    /// <summary>The node the layer comes from.</summary>
    public OnnxNode Node { get; }

    /// <summary>The values the layer reads that the graph computes (the image input or other layers' outputs), in operand order.</summary>
    public IReadOnlyList<string> Inputs { get; }

    /// <summary>The value the layer writes.</summary>
    public string Output { get; }

    /// <summary>The ONNX operator, as the layer list shows it.</summary>
    public virtual string Op => Node.OpType;

    /// <summary>Names of the initializers whose values are the layer's state (the module's weights; stripped from a saved structure).</summary>
    public virtual IReadOnlyList<string> StateInitializers => Array.Empty<string>();

    /// <summary>The layer's state tensors as its module holds them.</summary>
    public virtual IReadOnlyList<LayerState> State => Array.Empty<LayerState>();

    /// <summary>The output shape for these input shapes (batch first); throws <see cref="InvalidDataException"/> naming the node when they do not fit.</summary>
    public abstract long[] OutputShape(IReadOnlyList<long[]> inputs);

    /// <summary>Forward FLOPs for one image, a multiply-add counted as 2; 0 for layers without weights.</summary>
    public virtual long Flops(IReadOnlyList<long[]> inputs, long[] output) => 0;

    /// <summary>Whether the layer's module can write its output over its first input (<see cref="LayerModule.ForwardInPlace"/>).</summary>
    public virtual bool CanRunInPlace => false;

    /// <summary>Whether the layer's output is a tensor of its own, not a view of its input (Flatten, Identity and Dropout give views).</summary>
    public virtual bool WritesNewTensor => true;

    /// <summary>The layer with its settings, e.g. "Conv(3→64, 7×7, stride 2, pads [3, 3, 2, 2])".</summary>
    public virtual string Kind(IReadOnlyList<long[]> inputs, long[] output) => Op;

    /// <summary>
    /// The TorchSharp module, its state from <paramref name="weights"/> (initializers by name) where they hold
    /// values; otherwise batch norm's scale and variance are 1 and everything else 0, for weights loaded after.
    /// </summary>
    public abstract LayerModule CreateModule(IReadOnlyDictionary<string, OnnxTensor> weights);

    /// <summary>
    /// Writes the layer as ONNX nodes reading <paramref name="inputs"/> and writing <paramref name="output"/>, with the
    /// current state of <paramref name="module"/> as initializers named "<c>{prefix}{Name}.weight</c>" and so on.
    /// </summary>
    public abstract void WriteOnnx(OnnxGraph graph, IReadOnlyList<string> inputs, string output, LayerModule module, IReadOnlyList<long[]> inputShapes, string prefix);

    /// <summary>An error about this layer's node.</summary>
    protected InvalidDataException Refuse(string what) => new($"{Node.Description}: {what}");

    /// <summary>Shapes as text, for messages.</summary>
    protected static string Text(long[] shape) => $"[{string.Join(", ", shape)}]";

    /// <summary>The values of <paramref name="tensor"/> in <paramref name="weights"/> as a float32 tensor of <paramref name="shape"/>; <paramref name="fallback"/> everywhere when there are none.</summary>
    protected static Tensor Values(IReadOnlyDictionary<string, OnnxTensor> weights, OnnxTensor tensor, long[] shape, float fallback = 0) =>
        weights.TryGetValue(tensor.Name, out var source) && source.Floats is { } values ? TensorBridge.FromSpan(values, shape)
        : full(shape, fallback, ScalarType.Float32);
}

/// <summary>The TorchSharp side of a <see cref="GraphLayer"/>: a module from the layer's input tensors to its output.</summary>
internal abstract class LayerModule : nn.Module<IReadOnlyList<Tensor>, Tensor>
{
    protected LayerModule(string name) : base(name)
    {
    }

    /// <summary>
    /// The output written over <c>inputs[0]</c>, which no one reads after: for scoring without gradients, where it
    /// spares allocating a feature map (on a batch of 32 at 224×224, up to 100 MB each). Layers that cannot do so run <c>forward</c>.
    /// </summary>
    public virtual Tensor ForwardInPlace(IReadOnlyList<Tensor> inputs) => forward(inputs);

    /// <summary>The values of a state tensor, for writing it out.</summary>
    public static float[] ValuesOf(Tensor tensor)
    {
        var values = new float[tensor.numel()];
        using var detached = tensor.detach();
        TensorBridge.CopyTo(detached, values);
        return values;
    }
}
