using System.Text.RegularExpressions;

namespace MlNetCnn.Network.Import;

/// <summary>
/// An ONNX convolutional network as MlNetCnn imports it, plain structure without TorchSharp: the layers from the
/// image input up to one output, in topological order, with their names (the weight format of
/// <see cref="OnnxGraphModule"/>), shapes at any input size, stages, and a byte form without weights.
/// </summary>
/// <remarks>
/// Import refuses, before any training, what it cannot run: an operator outside <see cref="SupportedOperators.Names"/>
/// (naming it, its node and the list), a second image input, an output that is not [N, F], [N, F, 1, 1] or a
/// feature map, and layers whose shapes do not fit. So that other image sizes work too, an average pooling whose
/// window is the whole feature map at the nominal input size becomes global average pooling, and asymmetric pads
/// that are "same" padding at the nominal size stay "same" (<see cref="Window2d.KeptSame"/>).
/// </remarks>
internal sealed partial class ImportedGraph
{
    /// <summary>The metadata key that marks a saved structure, and its format version.</summary>
    public const string StructureKey = "mlnetcnn.import_structure";

    /// <summary>The structure format this build writes and reads.</summary>
    public const string StructureVersion = "1";

    private const int ImageRank = 4;

    private readonly Dictionary<string, GraphLayer> byName;

    private ImportedGraph(string source, OnnxModelFile model, string input, string output, ImageGeometry geometry,
        IReadOnlyList<GraphLayer> layers, int features, bool poolsOutput)
    {
        Source = source;
        Model = model;
        InputName = input;
        OutputName = output;
        InputGeometry = geometry;
        Layers = layers;
        FeatureCount = features;
        PoolsOutput = poolsOutput;
        byName = layers.ToDictionary(l => l.Name, StringComparer.Ordinal);
        var stateNames = layers.SelectMany(l => l.StateInitializers).ToHashSet(StringComparer.Ordinal);
        HasWeights = model.Initializers.Where(t => stateNames.Contains(t.Name)).All(t => t.HasData);
        StateShapes = layers.SelectMany(l => l.State.Select(s => (Name: $"{l.Name}.{s.Name}", s.Shape)))
            .ToDictionary(s => s.Name, s => s.Shape, StringComparer.Ordinal);
        ParameterCount = layers.Sum(l => l.State.Where(s => s.Trainable).Sum(s => s.Count));
        Stages = FindStages();
    }

    /// <summary>Where the graph came from, for messages ("'ResNet18.onnx'").</summary>
    public string Source { get; }

    /// <summary>The part of the file this graph uses: its nodes in order, the initializers they read, the input and the output.</summary>
    public OnnxModelFile Model { get; }

    /// <summary>The image input's name.</summary>
    public string InputName { get; }

    /// <summary>The value the features are read from.</summary>
    public string OutputName { get; }

    /// <summary>The input size the graph was made for (its input's declared shape, or the size given on import).</summary>
    public ImageGeometry InputGeometry { get; }

    /// <summary>The layers in the order forward runs them.</summary>
    public IReadOnlyList<GraphLayer> Layers { get; }

    /// <summary>The length of the feature vector per image.</summary>
    public int FeatureCount { get; }

    /// <summary>Whether the output is a feature map that forward averages over its pixels (a cut inside the network).</summary>
    public bool PoolsOutput { get; }

    /// <summary>Whether every state initializer holds values (false for a structure read back without weights).</summary>
    public bool HasWeights { get; }

    /// <summary>Every state tensor of the module, "<c>layer.weight</c>" → shape.</summary>
    public IReadOnlyDictionary<string, long[]> StateShapes { get; }

    /// <summary>The number of trainable values.</summary>
    public long ParameterCount { get; }

    /// <summary>The stages, from the input on.</summary>
    public IReadOnlyList<GraphStage> Stages { get; }

    /// <summary>The layer called <paramref name="name"/>.</summary>
    public GraphLayer this[string name] => byName.TryGetValue(name, out var layer) ? layer
        : throw new KeyNotFoundException($"The imported graph has no layer '{name}'.");

    /// <summary>Reads and imports the ONNX file at <paramref name="path"/>.</summary>
    /// <param name="path">The .onnx file.</param>
    /// <param name="outputName">The value (or node) to cut at; null for the graph's output.</param>
    /// <param name="nominalInput">The input size, where the file leaves height or width symbolic; null to take the file's.</param>
    public static ImportedGraph Load(string path, string? outputName = null, ImageGeometry? nominalInput = null) =>
        FromModel(OnnxReader.ReadFile(path), $"'{Path.GetFileName(path)}'", outputName, nominalInput);

    /// <summary>Imports a decoded model; <paramref name="source"/> names it in messages.</summary>
    public static ImportedGraph FromModel(OnnxModelFile model, string source, string? outputName = null, ImageGeometry? nominalInput = null) =>
        new Importer(model, source).Import(outputName, nominalInput);

    /// <summary>Reads a structure written by <see cref="ToStructure"/>: the same layers, names and shapes, without weights.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a structure this build can read.</exception>
    public static ImportedGraph FromStructure(ReadOnlySpan<byte> bytes)
    {
        var model = OnnxReader.Read(bytes, "The saved network structure");
        var version = model.Metadata.FirstOrDefault(e => e.Key == StructureKey).Value;
        if (version != StructureVersion)
            throw new InvalidDataException(version is null
                ? $"The saved network structure has no '{StructureKey}' entry; it was not written by ImportedGraph.ToStructure."
                : $"The saved network structure is version {version}; this build reads version {StructureVersion}.");
        var source = model.Metadata.FirstOrDefault(e => e.Key == SourceKey).Value ?? "the saved network structure";
        return FromModel(model with { Metadata = Array.Empty<KeyValuePair<string, string>>() }, source);
    }

    /// <summary>
    /// The structure as bytes: an ONNX model of this graph whose weight initializers keep their names, types and
    /// dims but no values (constants such as Reshape's shape keep theirs). Weights are saved apart, from the module's state.
    /// </summary>
    public byte[] ToStructure() => OnnxFileWriter.ToBytes(Stripped() with
    {
        Metadata = new[] { new KeyValuePair<string, string>(StructureKey, StructureVersion), new KeyValuePair<string, string>(SourceKey, Source) },
    });

    /// <summary>The same graph without weight values (this graph when it has none): what a module keeps once its state is made.</summary>
    public ImportedGraph WithoutWeights() => HasWeights ? FromModel(Stripped(), Source) : this;

    /// <summary>The initializers by name, with the weights' values when the graph has them.</summary>
    public IReadOnlyDictionary<string, OnnxTensor> Initializers() => Model.Initializers.ToDictionary(t => t.Name, StringComparer.Ordinal);

    private OnnxModelFile Stripped()
    {
        var state = Layers.SelectMany(l => l.StateInitializers).ToHashSet(StringComparer.Ordinal);
        return Model with { Initializers = Model.Initializers.Select(t => state.Contains(t.Name) ? t.WithoutData() : t).ToArray() };
    }

    /// <summary>Every computed value's shape for one image of <paramref name="input"/> (batch 1), the input included.</summary>
    /// <exception cref="ArgumentException">The images are too small or have other channels than the graph takes.</exception>
    public IReadOnlyDictionary<string, long[]> Shapes(ImageGeometry input)
    {
        if (input.Channels != InputGeometry.Channels)
            throw new ArgumentException($"{Source} takes {InputGeometry.Channels}-channel images; these are {input}.");
        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal) { [InputName] = new long[] { 1, input.Channels, input.Height, input.Width } };
        foreach (var layer in Layers)
            shapes[layer.Output] = layer.OutputShape(layer.Inputs.Select(i => shapes[i]).ToArray());
        return shapes;
    }

    /// <summary>
    /// The layer list for images of <paramref name="input"/> (default: the nominal size): name, operator with its
    /// settings, output shape per image, trainable parameters and forward FLOPs (Conv, Gemm and MatMul, a multiply-add
    /// counted as 2). A feature-map output adds a row for the pooling forward applies.
    /// </summary>
    public IReadOnlyList<LayerSummary> Describe(ImageGeometry? input = null)
    {
        var geometry = input ?? InputGeometry;
        var shapes = Shapes(geometry);
        var rows = new List<LayerSummary>();
        foreach (var layer in Layers)
        {
            var inputs = layer.Inputs.Select(i => shapes[i]).ToArray();
            var output = shapes[layer.Output];
            rows.Add(new LayerSummary(layer.Name, layer.Kind(inputs, output), output.Skip(1).Select(d => (int)d).ToArray(),
                layer.State.Where(s => s.Trainable).Sum(s => s.Count), layer.Flops(inputs, output)));
        }
        var last = shapes[OutputName];
        if (last.Length == ImageRank && last[2] * last[3] != 1)
            rows.Add(new LayerSummary(FeaturesRow, "GlobalAveragePool (the cut is a feature map)", new[] { (int)last[1], 1, 1 }, 0, 0));
        return rows;
    }

    /// <summary>The last <paramref name="count"/> stages (all when there are fewer).</summary>
    public IReadOnlyList<GraphStage> LastStages(int count) =>
        count < 0 ? throw new ArgumentOutOfRangeException(nameof(count), count, "A number of stages is 0 or more.")
        : Stages.Skip(Math.Max(0, Stages.Count - count)).ToArray();

    /// <summary>The name of the row <see cref="Describe"/> adds for the pooling of a feature-map output.</summary>
    public const string FeaturesRow = "features";

    private const string SourceKey = "mlnetcnn.import_source";

    private IReadOnlyList<GraphStage> FindStages()
    {
        var shapes = Shapes(InputGeometry);
        var stages = new List<(long Height, long Width, List<GraphLayer> Layers)>();
        foreach (var layer in Layers.Where(l => l.State.Count > 0))
        {
            var shape = shapes[layer.Output];
            var (height, width) = shape.Length == ImageRank ? (shape[2], shape[3]) : (0L, 0L);
            var stage = stages.FindIndex(s => s.Height == height && s.Width == width);
            if (stage < 0)
                stages.Add((height, width, new List<GraphLayer> { layer }));
            else
                stages[stage].Layers.Add(layer);
        }
        return stages.Select((s, i) => new GraphStage($"stage{i + 1}", s.Height, s.Width,
            s.Layers.Max(l => shapes[l.Output][1]), s.Layers.Select(l => l.Name).ToArray(),
            s.Layers.Sum(l => l.State.Where(x => x.Trainable).Sum(x => x.Count)))).ToArray();
    }

    /// <summary>One import: the steps from a decoded file to the graph, each refusing what it cannot take.</summary>
    private sealed class Importer
    {
        private readonly OnnxModelFile model;
        private readonly string source;
        private readonly Dictionary<string, OnnxTensor> constants = new(StringComparer.Ordinal);
        private readonly List<OnnxNode> nodes = new();
        private readonly Dictionary<string, OnnxNode> producers = new(StringComparer.Ordinal);

        public Importer(OnnxModelFile model, string source)
        {
            this.model = model;
            this.source = source;
        }

        public ImportedGraph Import(string? outputName, ImageGeometry? nominalInput)
        {
            try
            {
                return Build(outputName, nominalInput);
            }
            catch (InvalidDataException e) when (!e.Message.StartsWith(source, StringComparison.Ordinal))
            {
                throw new InvalidDataException($"{source}: {e.Message}", e);
            }
        }

        private ImportedGraph Build(string? outputName, ImageGeometry? nominalInput)
        {
            FoldConstants();
            var input = ImageInput();
            foreach (var node in nodes)
            {
                foreach (var written in node.Outputs.Where(o => o.Length > 0))
                {
                    if (!producers.TryAdd(written, node) || constants.ContainsKey(written))
                        throw new InvalidDataException($"{source}: value '{written}' is written twice ({node.Description}).");
                }
            }
            var output = Output(outputName);
            var needed = Needed(output, input.Name);
            SupportedOperators.Check(needed, source);
            var ordered = TopologicalOrder(needed, input.Name);
            var geometry = Geometry(input, nominalInput);

            var consumers = ordered.SelectMany(n => n.Inputs.Where(i => i.Length > 0).Distinct().Select(i => (Value: i, Node: n)))
                .ToLookup(p => p.Value, p => p.Node, StringComparer.Ordinal);
            var context = new LayerContext(constants, model.Opset);
            var layers = new List<GraphLayer>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            var folded = new HashSet<OnnxNode>();
            foreach (var node in ordered)
            {
                if (folded.Contains(node))
                    continue;
                var biasAdd = node.OpType == "MatMul" ? BiasAdd(node, consumers, output) : null;
                if (biasAdd is not null)
                    folded.Add(biasAdd);
                foreach (var extra in node.Outputs.Skip(1).Where(o => o.Length > 0 && (consumers.Contains(o) || o == output)))
                    throw new NotSupportedException($"{source}: {node.Description} has its output '{extra}' used; MlNetCnn imports only a node's first output.");
                layers.Add(SupportedOperators.Create(UniqueName(node, layers.Count, names), node, context, biasAdd));
            }

            var shapes = ShapesAt(layers, input.Name, geometry);
            foreach (var layer in layers)
            {
                var nominal = shapes[layer.Inputs[0]];
                if (layer is ConvLayer conv)
                    conv.KeepSamePadding(nominal);
                else if (layer is PoolLayer pool)
                {
                    pool.KeepSamePadding(nominal);
                    pool.MakeGlobalIfWhole(nominal);
                }
            }
            var last = shapes[output];
            if (last.Length is not (2 or ImageRank))
                throw new InvalidDataException($"{source}: output '{output}' has shape [{string.Join(", ", last)}]; features are [N, F], [N, F, 1, 1] or a feature map [N, C, H, W].");
            var poolsOutput = last.Length == ImageRank && last[2] * last[3] != 1;

            var used = ordered.SelectMany(n => n.Inputs).ToHashSet(StringComparer.Ordinal);
            var outputInfo = model.Outputs.FirstOrDefault(o => o.Name == output)
                ?? new OnnxValueInfo(output, OnnxDataType.Float, last.Select((d, i) => i == 0 ? new OnnxDimension(null, "N") : new OnnxDimension(d, null)).ToArray());
            var pruned = model with
            {
                Inputs = new[] { input with { Shape = InputShape(input, geometry) } },
                Outputs = new[] { outputInfo },
                Nodes = ordered,
                Initializers = constants.Values.Where(t => used.Contains(t.Name)).ToArray(),
                Metadata = Array.Empty<KeyValuePair<string, string>>(),
            };
            return new ImportedGraph(source, pruned, input.Name, output, geometry, layers, checked((int)last[1]), poolsOutput);
        }

        /// <summary>Constant nodes become constants like initializers.</summary>
        private void FoldConstants()
        {
            foreach (var tensor in model.Initializers)
            {
                if (!constants.TryAdd(tensor.Name, tensor))
                    throw new InvalidDataException($"{source}: initializer '{tensor.Name}' appears twice.");
            }
            foreach (var node in model.Nodes)
            {
                if (node.OpType == "Constant" && node.Domain is "" or "ai.onnx")
                {
                    var value = ConstantValue(node);
                    if (!constants.TryAdd(value.Name, value))
                        throw new InvalidDataException($"{source}: value '{value.Name}' is written twice ({node.Description}).");
                }
                else
                    nodes.Add(node);
            }
        }

        private OnnxTensor ConstantValue(OnnxNode node)
        {
            var name = node.Outputs.Count > 0 ? node.Outputs[0] : "";
            var attribute = node.Attributes.Count == 1 ? node.Attributes[0] : null;
            return attribute switch
            {
                { Name: "value", Tensor: { } t } => t with { Name = name },
                { Name: "value_float" } => new OnnxTensor(name, OnnxDataType.Float, Array.Empty<long>(), new[] { attribute.Float }, null),
                { Name: "value_floats", Floats: { } f } => new OnnxTensor(name, OnnxDataType.Float, new long[] { f.Length }, f, null),
                { Name: "value_int" } => new OnnxTensor(name, OnnxDataType.Int64, Array.Empty<long>(), null, new[] { attribute.Int }),
                { Name: "value_ints", Ints: { } i } => new OnnxTensor(name, OnnxDataType.Int64, new long[] { i.Length }, null, i),
                _ => throw new NotSupportedException($"{source}: {node.Description} holds {(attribute is null ? $"{node.Attributes.Count} attributes" : $"'{attribute.Name}'")}; MlNetCnn reads a Constant's value, value_float(s) or value_int(s)."),
            };
        }

        private OnnxValueInfo ImageInput()
        {
            var inputs = model.Inputs.Where(i => !constants.ContainsKey(i.Name)).ToList();
            if (inputs.Count != 1)
                throw new InvalidDataException($"{source} has {inputs.Count} inputs besides its initializers ({string.Join(", ", inputs.Select(i => $"'{i.Name}'"))}); an image backbone has one, the image.");
            var input = inputs[0];
            if (input.ElementType != OnnxDataType.Float)
                throw new InvalidDataException($"{source}: input '{input.Name}' is {OnnxDataType.Name(input.ElementType)}; MlNetCnn feeds float images.");
            return input;
        }

        /// <summary>The output value: the one named (a value, or a node whose first output it is), or the graph's only output.</summary>
        private string Output(string? name)
        {
            if (name is null)
            {
                if (model.Outputs.Count != 1)
                    throw new InvalidDataException($"{source} has {model.Outputs.Count} outputs ({string.Join(", ", model.Outputs.Select(o => $"'{o.Name}'"))}); name the one to import.");
                name = model.Outputs[0].Name;
            }
            if (producers.ContainsKey(name))
                return name;
            if (nodes.FirstOrDefault(n => n.Name == name && n.Outputs.Count > 0) is { } node)
                return node.Outputs[0];
            var last = nodes.TakeLast(3).Select(n => $"'{n.Outputs.FirstOrDefault()}'");
            throw new ArgumentException($"{source} has no value or node named '{name}'. Its outputs are {string.Join(", ", model.Outputs.Select(o => $"'{o.Name}'"))}; its last nodes write {string.Join(", ", last)}.", nameof(name));
        }

        /// <summary>The nodes the output depends on, in file order.</summary>
        private List<OnnxNode> Needed(string output, string input)
        {
            var needed = new HashSet<OnnxNode>();
            var pending = new Stack<string>();
            pending.Push(output);
            var reachesInput = false;
            while (pending.Count > 0)
            {
                var value = pending.Pop();
                if (value == input)
                    reachesInput = true;
                if (!producers.TryGetValue(value, out var node) || !needed.Add(node))
                    continue;
                foreach (var operand in node.Inputs.Where(i => i.Length > 0))
                {
                    if (!producers.ContainsKey(operand) && !constants.ContainsKey(operand) && operand != input)
                        throw new InvalidDataException($"{source}: {node.Description} reads '{operand}', which no node, initializer or input provides.");
                    pending.Push(operand);
                }
            }
            if (!reachesInput)
                throw new InvalidDataException($"{source}: output '{output}' does not depend on the image input '{input}'.");
            return nodes.Where(needed.Contains).ToList();
        }

        /// <summary>The nodes ordered so that each comes after what it reads (file order where that already holds).</summary>
        private List<OnnxNode> TopologicalOrder(List<OnnxNode> needed, string input)
        {
            var available = new HashSet<string>(constants.Keys, StringComparer.Ordinal) { input, "" };
            var ordered = new List<OnnxNode>(needed.Count);
            var remaining = new List<OnnxNode>(needed);
            while (remaining.Count > 0)
            {
                var ready = remaining.FindIndex(n => n.Inputs.All(available.Contains));
                if (ready < 0)
                    throw new InvalidDataException($"{source}: {remaining[0].Description} is part of a cycle; an ONNX graph is acyclic.");
                var node = remaining[ready];
                remaining.RemoveAt(ready);
                ordered.Add(node);
                available.UnionWith(node.Outputs);
            }
            return ordered;
        }

        private ImageGeometry Geometry(OnnxValueInfo input, ImageGeometry? nominal)
        {
            var dims = input.Shape;
            if (dims is null || dims.Count != ImageRank)
                throw new InvalidDataException($"{source}: input '{input.Name}' has shape {input.ShapeText}; an image backbone takes [N, C, H, W].");
            if (dims[1].Value is not { } channels || channels < 1)
                throw new InvalidDataException($"{source}: input '{input.Name}' has shape {input.ShapeText}, without a number of channels.");
            if (nominal is { } given)
            {
                if (given.Channels != channels)
                    throw new ArgumentException($"{source}: input '{input.Name}' takes {channels} channels; the size given is {given}.", nameof(nominal));
                return given;
            }
            if (dims[2].Value is not { } height || dims[3].Value is not { } width || height < 1 || width < 1)
                throw new InvalidDataException($"{source}: input '{input.Name}' has shape {input.ShapeText}; give the input size on import, since the file leaves it open.");
            return new ImageGeometry(checked((int)channels), checked((int)height), checked((int)width));
        }

        private static IReadOnlyList<OnnxDimension> InputShape(OnnxValueInfo input, ImageGeometry geometry) => new[]
        {
            input.Shape![0], new OnnxDimension(geometry.Channels, null), new OnnxDimension(geometry.Height, null), new OnnxDimension(geometry.Width, null),
        };

        private static Dictionary<string, long[]> ShapesAt(IReadOnlyList<GraphLayer> layers, string input, ImageGeometry geometry)
        {
            var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal) { [input] = new long[] { 1, geometry.Channels, geometry.Height, geometry.Width } };
            foreach (var layer in layers)
                shapes[layer.Output] = layer.OutputShape(layer.Inputs.Select(i => shapes[i]).ToArray());
            return shapes;
        }

        /// <summary>The Add that adds a constant bias to this MatMul's product and is its only reader; null when there is none.</summary>
        private OnnxNode? BiasAdd(OnnxNode matMul, ILookup<string, OnnxNode> consumers, string output)
        {
            var product = matMul.Outputs[0];
            if (product == output || consumers[product].Count() != 1)
                return null;
            var add = consumers[product].Single();
            if (add.OpType != "Add" || add.Inputs.Count != 2)
                return null;
            var other = add.Inputs[0] == product ? add.Inputs[1] : add.Inputs[0];
            var weight = constants.GetValueOrDefault(matMul.Input(1));
            return constants.TryGetValue(other, out var bias) && weight is { Dims.Length: 2 }
                && bias.DataType is OnnxDataType.Float or OnnxDataType.Double
                && bias.Dims.Length >= 1 && bias.Dims[^1] == weight.Dims[1] && bias.ElementCount == weight.Dims[1]
                ? add : null;
        }

        /// <summary>The node's name made a module name (letters, digits and '_'; no '.'), unique in the graph.</summary>
        private static string UniqueName(OnnxNode node, int index, HashSet<string> taken)
        {
            var name = UnsafeCharacters().Replace(node.Name, "_").Trim('_');
            if (name.Length == 0)
                name = $"{node.OpType}_{index}";
            var unique = name;
            for (var n = 2; !taken.Add(unique); n++)
                unique = $"{name}_{n}";
            return unique;
        }
    }

    [GeneratedRegex("[^A-Za-z0-9_]")]
    private static partial Regex UnsafeCharacters();
}
