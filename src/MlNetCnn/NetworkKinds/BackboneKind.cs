using MlNetCnn.Native;
using MlNetCnn.Network;
using MlNetCnn.Network.Import;
using MlNetCnn.Onnx;
using MlNetCnn.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetCnn.NetworkKinds;

/// <summary>
/// A pretrained backbone (<see cref="CnnOptions.Backbone"/>) with the task's head (<see cref="BackboneClassifier"/>).
/// It starts frozen unless <see cref="CnnOptions.FrozenEpochs"/> is 0, and <see cref="FineTuneCallback"/> unfreezes it
/// as <see cref="CnnOptions.FineTuning"/> says. Its model keeps the imported graph's structure (no weights) and the
/// input normalisation in the network stream and the whole state in CnnWeights, so it loads without the source file;
/// it writes itself as ONNX (the imported layers, the head's Gemm and the task's tail).
/// </summary>
internal sealed class BackboneKind(PretrainedBackbone backbone, CnnOptions options) : NetworkKind
{
    /// <summary>Its number in the zip's network stream.</summary>
    public const int Number = 3;

    /// <summary>The feature cache's bound: 1 GiB is 524,288 images of ResNet18's 512 features.</summary>
    public const long FeatureCacheBytes = 1L << 30;

    public override string Description => $"{backbone.Name} backbone with a {Head(options.HeadDropout)}";

    public override string Identity => $"{backbone.Name} {backbone.ModelPath} {backbone.OutputName} {backbone.Normalization} head {options.HeadDropout:R}";

    // Pretrained batch-norm statistics are what the backbone learnt on; refreshing them on a small set would lose them.
    public override bool RefreshesBatchNorm => false;

    /// <summary>Whether the backbone is frozen when training starts.</summary>
    private bool StartsFrozen => options.FineTuning == FineTuning.Frozen || options.FrozenEpochs > 0;

    public override void CheckFits(ImageGeometry geometry)
    {
        var graph = backbone.Import();
        var channels = backbone.Normalization?.InputChannels ?? graph.InputGeometry.Channels;
        if (geometry.Channels != channels)
            throw new ArgumentException($"The {backbone.Name} backbone takes images of {channels} channel{(channels == 1 ? "" : "s")}; these have {geometry.Channels}. " +
                (channels == 3 ? "Load them in colour (CnnImageOptions.ColorMode = Color; the CLI's --color Color)." : "Give it images of that many channels."), nameof(CnnOptions.Backbone));
        base.CheckFits(geometry);
    }

    public override NetworkModule Create(ImageGeometry geometry)
    {
        TorchRuntime.EnsureLoaded();
        var module = new BackboneClassifier(backbone.CreateModule(), outputs: 1, options.HeadDropout);
        var network = NetworkModule.Of(module);
        if (StartsFrozen)
            network.SetFrozen(BackboneClassifier.BackbonePart, frozen: true);
        // Augmented images differ every epoch: their features cannot be reused.
        if (!options.RandomHorizontalFlip && options.RandomShiftPixels == 0)
            module.CacheFeatures(FeatureCacheBytes);
        return network;
    }

    public override TrainedNetwork Capture(NetworkModule network)
    {
        var module = (BackboneClassifier)network.Module;
        return new Trained(backbone.Name, module.Backbone.Graph.ToStructure(), module.Backbone.Normalization, (int)module.Head.weight!.shape[0],
            module.DropoutRate, NetworkWeights.Of(module));
    }

    public override IEnumerable<ITrainingCallback> TrainingCallbacks() => [new FineTuneCallback(options)];

    private static string Head(double dropout) => dropout > 0 ? $"linear head (dropout {dropout:G3})" : "linear head";

    // *** Network stream, after the number ***
    // string: the backbone's name; int: structure length, then the structure (ImportedGraph.ToStructure: the graph
    // without weights); bool: has a normalisation, then string: InputNormalization.ToString(); int: the head's
    // outputs; double: the head's dropout

    /// <summary>The backbone network of a saved model, from its structure and state: the source file is not needed.</summary>
    public static TrainedNetwork Read(SavedNetwork saved)
    {
        var reader = saved.Details;
        var name = reader.ReadString();
        var length = reader.ReadInt32();
        if (length <= 0)
            throw saved.Damaged($"its backbone's structure is {length} bytes long");
        var structure = reader.ReadBytes(length);
        if (structure.Length != length)
            throw saved.Damaged("its network stream ends inside the backbone's structure");
        InputNormalization? normalization = null;
        if (reader.ReadBoolean())
        {
            var text = reader.ReadString();
            try
            {
                normalization = InputNormalization.Parse(text);
            }
            catch (FormatException e)
            {
                throw saved.Damaged($"its backbone's input normalisation '{text}' is not readable: {e.Message}", e);
            }
        }
        var outputs = reader.ReadInt32();
        var dropout = reader.ReadDouble();
        if (outputs < 1 || !(dropout >= 0 && dropout < 1))
            throw saved.Damaged($"its head has {outputs} outputs and dropout {dropout}");
        var state = saved.State(TrainedNetwork.WeightsStream, MaxCustomStateBytes, $"the network's state stream '{TrainedNetwork.WeightsStream}'");
        return new Trained(name, structure, normalization, outputs, dropout, saved.Weights(state));
    }

    /// <summary>A trained backbone network: its imported structure, normalisation, head, and the whole state.</summary>
    private sealed class Trained(string name, byte[] structure, InputNormalization? normalization, int outputs, double dropout, NetworkWeights weights) : TrainedNetwork
    {
        public override string Description => $"{name} backbone with a {Head(dropout)}";

        public override int? Number => BackboneKind.Number;

        public override byte[] StateBytes => weights.ToBytes();

        public override void WriteDetails(BinaryWriter writer)
        {
            writer.Write(name);
            writer.Write(structure.Length);
            writer.Write(structure);
            writer.Write(normalization is not null);
            if (normalization is not null)
                writer.Write(normalization.ToString());
            writer.Write(outputs);
            writer.Write(dropout);
        }

        public override NetworkModule Load(ImageGeometry geometry)
        {
            TorchRuntime.EnsureLoaded();
            ImportedGraph graph;
            try
            {
                graph = ImportedGraph.FromStructure(structure);
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"The {Description}'s saved structure is not readable: {e.Message}", e);
            }
            var module = new BackboneClassifier(new OnnxGraphModule(graph, normalization), outputs, dropout);
            try
            {
                LoadState(module, weights);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new InvalidDataException($"The weights saved for the {Description} do not fit its saved structure: {e.Message}", e);
            }
            return NetworkModule.Of(module);
        }

        public override IReadOnlyList<LayerSummary> Describe(ImageGeometry geometry)
        {
            var graph = ImportedGraph.FromStructure(structure);
            var layers = graph.Describe(geometry with { Channels = graph.InputGeometry.Channels }).ToList();
            var features = graph.FeatureCount;
            layers.Add(new LayerSummary("head", $"Linear({features}→{outputs}){(dropout > 0 ? $" after Dropout({dropout:G3})" : "")}", [outputs],
                (long)features * outputs + outputs, 2L * features * outputs));
            return layers;
        }

        public override OnnxForm Onnx => OnnxForm.Of((geometry, task, threshold, metadata) =>
        {
            using var network = Load(geometry);
            var module = (BackboneClassifier)network.Module;
            return OnnxExporter.Build(geometry, task, threshold, Description, metadata.Append(new(GraphExport.SourceKey, name)), (graph, input) =>
            {
                var features = GraphExport.AddTo(graph, module.Backbone, input, geometry, BackboneClassifier.BackbonePart + ".");
                var weight = Values(module.Head.weight!);
                var bias = Values(module.Head.bias!);
                return graph.Node("Gemm", "logits", new[]
                {
                    features,
                    graph.Initializer("head.weight", new long[] { outputs, weight.Length / outputs }, weight),
                    graph.Initializer("head.bias", new long[] { outputs }, bias),
                }, ("transB", 1L));
            });
        });

        private static float[] Values(Tensor tensor) => tensor.detach().cpu().contiguous().data<float>().ToArray();
    }
}
