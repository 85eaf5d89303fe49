using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetCnn.Network.Import;

/// <summary>
/// An imported ONNX network as a trainable TorchSharp module: forward takes <c>[N, C, H, W]</c> images and returns
/// <c>[N, F]</c> features. Its children are the graph's layers, named as <see cref="ImportedGraph.Layers"/> names
/// them (the weight format: "<c>Convolution249.weight</c>", "<c>BatchNormalization251.running_mean</c>"); forward
/// runs them in topological order, freeing each value after its last reader.
/// </summary>
/// <remarks>
/// With an <see cref="InputNormalization"/>, forward first maps the image step's [0, 1] planar channels to what the
/// network was trained on; the normalisation is plain data, not state. In training mode batch normalisation uses
/// the batch's statistics and updates its running ones, and Dropout drops; <c>eval()</c> turns both off.
/// </remarks>
internal sealed class OnnxGraphModule : nn.Module<Tensor, Tensor>
{
    private const int ImageRank = 4;
    private static readonly long[] Spatial = { 2, 3 };

    // Not registered through fields: each layer is registered under its own name (register_module) below.
    private readonly LayerModule[] layers;
    private readonly string[][] releasedAfter;
    private readonly bool[] inPlace;

    /// <summary>
    /// Builds the module; its state comes from the graph's initializers (placeholders when the graph has no weights:
    /// load the state after). The module keeps the structure only, so the file's weights are not held twice.
    /// </summary>
    /// <exception cref="ArgumentException">The normalisation gives another number of channels than the graph takes.</exception>
    public OnnxGraphModule(ImportedGraph graph, InputNormalization? normalization = null) : base(nameof(OnnxGraphModule))
    {
        if (normalization is not null && normalization.OutputChannels != graph.InputGeometry.Channels)
            throw new ArgumentException($"The input normalisation ({normalization}) gives {normalization.OutputChannels} channels; {graph.Source} takes {graph.InputGeometry.Channels}.", nameof(normalization));
        var weights = graph.Initializers();
        Graph = graph.WithoutWeights();
        Normalization = normalization;
        layers = new LayerModule[Graph.Layers.Count];
        for (var i = 0; i < layers.Length; i++)
        {
            layers[i] = Graph.Layers[i].CreateModule(weights);
            register_module(Graph.Layers[i].Name, layers[i]);
        }
        releasedAfter = ReleasePlan(Graph);
        inPlace = InPlacePlan(Graph);
        RegisterComponents();
    }

    /// <summary>The structure the module runs.</summary>
    public ImportedGraph Graph { get; }

    /// <summary>How forward maps its input before the graph; null when images go in as they are.</summary>
    public InputNormalization? Normalization { get; }

    /// <summary>The length of each image's feature vector.</summary>
    public int FeatureCount => Graph.FeatureCount;

    /// <summary>The images forward takes at the graph's nominal size: the normalisation's input channels when there is one.</summary>
    public ImageGeometry InputGeometry => Graph.InputGeometry with { Channels = Normalization?.InputChannels ?? Graph.InputGeometry.Channels };

    /// <summary>The stages, from the input on: the prefixes by which fine-tuning freezes or trains parts of the network.</summary>
    public IReadOnlyList<GraphStage> Stages => Graph.Stages;

    /// <summary>The module of the layer called <paramref name="name"/>.</summary>
    public LayerModule Layer(string name)
    {
        for (var i = 0; i < layers.Length; i++)
        {
            if (Graph.Layers[i].Name == name)
                return layers[i];
        }
        throw new KeyNotFoundException($"The imported network has no layer '{name}'.");
    }

    /// <summary>The trainable parameters of <paramref name="stage"/>, with their names in this module.</summary>
    public IEnumerable<(string Name, Parameter Parameter)> StageParameters(GraphStage stage) =>
        named_parameters().Where(p => stage.Owns(p.name));

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        var channels = InputGeometry.Channels;
        if (input.ndim != ImageRank || input.shape[1] != channels)
            throw new ArgumentException($"The imported network takes [N, {channels}, H, W] images; it was given [{string.Join(", ", input.shape)}].", nameof(input));
        using var scope = NewDisposeScope();
        // Without gradients nothing keeps a layer's input for a backward pass: a Relu, Clip, Add or Mul may write
        // over an input no later layer reads.
        var overwrite = !is_grad_enabled();
        var values = new Dictionary<string, Tensor>(StringComparer.Ordinal) { [Graph.InputName] = Normalize(input) };
        for (var i = 0; i < layers.Length; i++)
        {
            var layer = Graph.Layers[i];
            var operands = new Tensor[layer.Inputs.Count];
            for (var j = 0; j < operands.Length; j++)
                operands[j] = values[layer.Inputs[j]];
            var result = overwrite && inPlace[i] ? layers[i].ForwardInPlace(operands) : layers[i].forward(operands);
            values[layer.Output] = result;
            foreach (var value in releasedAfter[i])
            {
                if (values.Remove(value, out var tensor) && !ReferenceEquals(tensor, input) && !ReferenceEquals(tensor, result))
                    tensor.Dispose();
            }
        }
        var output = values[Graph.OutputName];
        var features = output.ndim == ImageRank ? output.mean(Spatial) : output;
        return features.MoveToOuterDisposeScope();
    }

    private Tensor Normalize(Tensor input)
    {
        if (Normalization is not { } n)
            return input;
        var x = input;
        if (!n.KeepsChannels((int)input.shape[1]))
        {
            using var order = tensor(n.ChannelOrder.Select(c => (long)c).ToArray());
            x = input.index_select(1, order);
        }
        var shape = new long[] { 1, n.OutputChannels, 1, 1 };
        using var multipliers = TensorBridge.FromSpan(n.Multipliers, shape);
        using var offsets = TensorBridge.FromSpan(n.Offsets, shape);
        using var typedMultipliers = multipliers.to_type(x.dtype);
        using var typedOffsets = offsets.to_type(x.dtype);
        using var scaled = x.mul(typedMultipliers);
        if (!ReferenceEquals(x, input))
            x.Dispose();
        return scaled.add(typedOffsets);
    }

    /// <summary>
    /// For each layer, whether it may write over its first input: it can, the input is a tensor of its own that only
    /// this layer reads (not the image, not the output, not read twice), and the result has the input's shape.
    /// </summary>
    private static bool[] InPlacePlan(ImportedGraph graph)
    {
        var producers = graph.Layers.ToDictionary(l => l.Output, StringComparer.Ordinal);
        var readers = graph.Layers.SelectMany(l => l.Inputs).GroupBy(v => v, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var shapes = graph.Shapes(graph.InputGeometry);
        return graph.Layers.Select(l => l.CanRunInPlace && l.Inputs.Count > 0
            && producers.TryGetValue(l.Inputs[0], out var producer) && producer.WritesNewTensor
            && readers[l.Inputs[0]] == 1 && l.Inputs[0] != graph.OutputName
            && shapes[l.Inputs[0]].SequenceEqual(shapes[l.Output])).ToArray();
    }

    /// <summary>For each layer, the values no later layer reads (the output excepted), to free once it has run.</summary>
    private static string[][] ReleasePlan(ImportedGraph graph)
    {
        var lastReader = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < graph.Layers.Count; i++)
        {
            foreach (var value in graph.Layers[i].Inputs)
                lastReader[value] = i;
        }
        var plan = Enumerable.Range(0, graph.Layers.Count).Select(_ => new List<string>()).ToArray();
        foreach (var (value, reader) in lastReader)
        {
            if (value != graph.OutputName)
                plan[reader].Add(value);
        }
        return plan.Select(p => p.ToArray()).ToArray();
    }
}
