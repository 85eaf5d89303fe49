using Microsoft.ML.OnnxRuntime;
using MlNetCnn.Network.Import;
using MlNetCnn.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetCnn.Tests.Network.Import;

public sealed class ResNet18ImportTests : IClassFixture<ResNet18Fixture>
{
    private const int Side = 224;
    private const int Values = 3 * Side * Side;
    // The file's input is BGR on the 0–255 scale minus the mean image: values in about [−130, 150].
    private const float Low = -125, High = 130;
    private readonly ResNet18Fixture f;

    public ResNet18ImportTests(ResNet18Fixture f) => this.f = f;

    [Fact]
    public void Import_of_ResNet18_gives_ONNX_Runtimes_features_on_random_inputs()
    {
        var first = Compare.Random(Values, seed: 1, Low, High);
        var second = Compare.Random(Values, seed: 2, Low, High);

        // The file fixes the batch at 1 for ONNX Runtime; the module takes both images as one batch.
        var expected = Compare.Ort(f.Session, first, 1, 3, Side, Side).Concat(Compare.Ort(f.Session, second, 1, 3, Side, Side)).ToArray();
        var actual = Compare.Module(f.Module, first.Concat(second).ToArray(), 2, 3, Side, Side);

        Assert.Equal(2 * 512, actual.Length);
        Assert.InRange(Compare.RelativeError(actual, expected), 0, 1e-4);
        // The two images give different features: the comparison is not of a constant.
        Assert.True(Compare.RelativeError(actual[..512], actual[512..]) > 1e-2);
    }

    [Fact]
    public void The_graph_is_read_as_ResNet18_with_its_stages_and_its_final_pooling_made_global()
    {
        var g = f.Graph;

        Assert.Equal(new ImageGeometry(3, Side, Side), g.InputGeometry);
        Assert.Equal("Input247", g.InputName);
        Assert.Equal("Pooling395_Output_0", g.OutputName);
        Assert.Equal(512, g.FeatureCount);
        Assert.True(g.HasWeights);
        var ops = g.Layers.GroupBy(l => l.Node.OpType).ToDictionary(o => o.Key, o => o.Count());
        Assert.Equal(22, ops["Conv"]);
        Assert.Equal(22, ops["BatchNormalization"]);
        Assert.Equal(19, ops["Relu"]);
        Assert.Equal(9, ops["Add"]);
        Assert.Equal(1, ops["MaxPool"]);
        var pool = Assert.IsType<PoolLayer>(g["Pooling395"]);
        Assert.True(pool.MadeGlobal);
        // Stem (112×112), then the four residual stages at 56, 28, 14 and 7.
        Assert.Equal(new long[] { 112, 56, 28, 14, 7 }, g.Stages.Select(s => s.Height));
        Assert.Equal(new long[] { 64, 64, 128, 256, 512 }, g.Stages.Select(s => s.Channels));
        Assert.Equal(g.ParameterCount, g.Stages.Sum(s => s.Parameters));
        Assert.Contains("Convolution249", g.Stages[0].Layers);
        Assert.Equal(new[] { "stage4", "stage5" }, g.LastStages(2).Select(s => s.Name));
        // A stage owns its layers' parameters by name prefix: what fine-tuning the last stages unfreezes.
        var last = f.Module.StageParameters(g.Stages[^1]).ToList();
        Assert.Equal(g.Stages[^1].Parameters, last.Sum(p => p.Parameter.numel()));
        Assert.All(last, p => Assert.Contains(p.Name.Split('.')[0], g.Stages[^1].Layers));
        Assert.False(g.Stages[^1].Owns("Convolution249.weight"));
    }

    [Fact]
    public void The_layer_list_counts_parameters_and_flops_of_ResNet18()
    {
        var layers = f.Graph.Describe();

        var stem = layers.Single(l => l.Name == "Convolution249");
        Assert.Equal(new[] { 64, 112, 112 }, stem.OutputShape);
        Assert.Equal(64 * 3 * 7 * 7, stem.Parameters);
        Assert.Equal(2L * 64 * 3 * 7 * 7 * 112 * 112, stem.ForwardFlops);
        Assert.Equal("Conv(3→64, 7×7, stride 2, pads [3, 3, 2, 2] kept SAME_LOWER)", stem.Kind);
        Assert.Equal(new[] { 64, 56, 56 }, layers.Single(l => l.Name == "Pooling255").OutputShape);
        Assert.Equal(new[] { 512, 1, 1 }, layers[^1].OutputShape);
        // As the onnx Python package counts them from the file's own value_info shapes: Conv weights and
        // BatchNormalization scales and biases (this CNTK ResNet18 has a third block in its last stage).
        Assert.Equal(15_897_152, f.Graph.ParameterCount);
        Assert.Equal(f.Graph.ParameterCount, layers.Sum(l => l.Parameters));
        Assert.Equal(4_089_544_704, layers.Sum(l => l.ForwardFlops));
        Assert.All(layers.Where(l => !l.Kind.StartsWith("Conv", StringComparison.Ordinal)), l => Assert.Equal(0, l.ForwardFlops));
    }

    [Fact]
    public void A_112_pixel_image_runs_and_gives_512_features()
    {
        var values = Compare.Random(2 * 3 * 112 * 112, seed: 3, Low, High);

        var features = Compare.Module(f.Module, values, 2, 3, 112, 112);

        Assert.Equal(2 * 512, features.Length);
        Assert.All(features, v => Assert.True(float.IsFinite(v)));
        // Average pooling over the 4×4 map, not over a 7×7 window that no longer fits; the stride-2 convolutions'
        // "same" padding gives the residual and its shortcut the same 4×4 on the odd 7×7 map of the last stage.
        var layers = f.Graph.Describe(new ImageGeometry(3, 112, 112));
        Assert.Equal(new[] { 512, 4, 4 }, layers.Single(l => l.Name == "Convolution349").OutputShape);
        Assert.Equal(new[] { 512, 4, 4 }, layers.Single(l => l.Name == "Convolution359").OutputShape);
        Assert.Equal(new[] { 512, 4, 4 }, layers.Single(l => l.Name == "ReLU393").OutputShape);
        Assert.Equal(new[] { 512, 1, 1 }, layers.Single(l => l.Name == "Pooling395").OutputShape);
    }

    [Fact]
    public void The_structure_without_weights_round_trips_and_with_the_state_gives_the_same_features()
    {
        var structure = f.Graph.ToStructure();
        var graph = ImportedGraph.FromStructure(structure);

        Assert.InRange(structure.Length, 1, 64 * 1024); // the file is 63 MB; the structure has no weights
        Assert.False(graph.HasWeights);
        Assert.Equal(f.Graph.Layers.Select(l => l.Name), graph.Layers.Select(l => l.Name));
        Assert.Equal(f.Graph.StateShapes.Keys, graph.StateShapes.Keys);
        Assert.Equal(f.Graph.FeatureCount, graph.FeatureCount);

        using var module = new OnnxGraphModule(graph);
        using (var saved = new MemoryStream())
        {
            f.Module.save(saved);
            using var state = new MemoryStream(saved.ToArray());
            module.load(state);
        }
        var values = Compare.Random(Values, seed: 4, Low, High);
        Assert.Equal(Compare.Module(f.Module, values, 1, 3, Side, Side), Compare.Module(module, values, 1, 3, Side, Side));
    }

    [Fact]
    public void A_fine_tuned_ResNet18_written_back_as_ONNX_scores_as_the_module_does_with_its_normalisation()
    {
        var normalization = ResNetPreprocess.Read(Path.Combine(ResNet18Fixture.ModelsFolder, BackboneFiles.PreprocessFile));
        using var module = new OnnxGraphModule(f.Graph, normalization);
        // Change every parameter, as training would: a write-back of the file's weights would disagree.
        using (no_grad())
        using (var factor = 1.01f.ToScalar())
        {
            foreach (var (_, p) in module.named_parameters())
                p.mul_(factor);
        }
        using var folder = new TempFolder();
        var path = folder.File("resnet18-features.onnx");
        File.WriteAllBytes(path, GraphExport.FeaturesModel(module).ToArray());

        var images = Compare.Random(2 * Values, seed: 5); // RGB in [0, 1], as the image step gives them
        using var session = new InferenceSession(path);
        var expected = Compare.Ort(session, images, 2, 3, Side, Side);
        var actual = Compare.Module(module, images, 2, 3, Side, Side);
        var original = Compare.Module(f.Module, images, 2, 3, Side, Side);

        Assert.InRange(Compare.RelativeError(expected, actual), 0, 1e-4);
        Assert.True(Compare.RelativeError(actual, original) > 1e-3, "the change of weights should change the features");
        Assert.Equal(normalization.ToString(), session.ModelMetadata.CustomMetadataMap[GraphExport.NormalizationKey]);
    }

    [Fact]
    public void The_normalisation_read_from_ResNetPreprocess_is_BGR_255_minus_its_mean_per_channel()
    {
        var normalization = ResNetPreprocess.Read(Path.Combine(ResNet18Fixture.ModelsFolder, BackboneFiles.PreprocessFile));

        Assert.Equal(new[] { 2, 1, 0 }, normalization.ChannelOrder);
        Assert.Equal(255, normalization.Scale);
        Assert.Equal(new[] { 1f, 1f, 1f }, normalization.Std);
        Assert.Equal(103.06, normalization.Mean[0], 0.01);
        Assert.Equal(115.90, normalization.Mean[1], 0.01);
        Assert.Equal(123.15, normalization.Mean[2], 0.01);
        // The values recorded for when the file is absent are the file's, to float precision.
        for (var c = 0; c < 3; c++)
            Assert.Equal(ResNetPreprocess.Recorded.Mean[c], normalization.Mean[c], 1e-4);
    }

    [Fact]
    public void ResNet18_with_the_packages_folder_finds_the_file_and_its_preprocessing()
    {
        var backbone = PretrainedBackbone.ResNet18(ResNet18Fixture.ModelsFolder);

        Assert.Equal(Path.GetFullPath(f.Path), backbone.ModelPath);
        Assert.Equal("ResNet18", backbone.Name);
        Assert.Equal(ResNetPreprocess.Read(Path.Combine(ResNet18Fixture.ModelsFolder, BackboneFiles.PreprocessFile)), backbone.Normalization);
    }
}
