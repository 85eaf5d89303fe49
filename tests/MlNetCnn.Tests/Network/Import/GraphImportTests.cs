using Microsoft.ML.OnnxRuntime;
using MlNetCnn.Native;
using MlNetCnn.Network;
using MlNetCnn.Network.Import;
using MlNetCnn.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetCnn.Tests.Network.Import;

public sealed class GraphImportTests
{
    private const int Side = TestGraphs.Side;
    private const int ImageValues = TestGraphs.Channels * Side * Side;

    public GraphImportTests() => TorchRuntime.EnsureLoaded();

    [Fact]
    public void Import_of_a_MobileNet_style_graph_gives_ONNX_Runtimes_outputs()
    {
        var bytes = TestGraphs.MobileNetStyle();
        var graph = ImportedGraph.FromModel(TestGraphs.Read(bytes), "mobilenet");
        using var module = new OnnxGraphModule(graph);
        using var session = new InferenceSession(bytes);
        var images = Compare.Random(3 * ImageValues, seed: 7, -1, 1);

        var expected = Compare.Ort(session, images, 3, TestGraphs.Channels, Side, Side);
        var actual = Compare.Module(module, images, 3, TestGraphs.Channels, Side, Side);

        Assert.Equal(3 * TestGraphs.Features, actual.Length);
        Assert.InRange(Compare.RelativeError(actual, expected), 0, 1e-4);
        // With gradients on, no layer writes over its input; the outputs are the same.
        using (var x = TensorBridge.FromSpan(images, 3, TestGraphs.Channels, Side, Side))
        using (var y = module.forward(x))
        using (var detached = y.detach())
        {
            var withGradients = new float[y.numel()];
            TensorBridge.CopyTo(detached, withGradients);
            Assert.Equal(actual, withGradients);
        }
        // Every operator of the graph is there (none folded away or skipped).
        var ops = graph.Layers.Select(l => l.Op).ToHashSet();
        foreach (var op in new[] { "Conv", "BatchNormalization", "HardSwish", "Clip", "GlobalAveragePool", "HardSigmoid", "Mul", "Add", "MaxPool", "Concat", "LeakyRelu", "Sigmoid", "AveragePool", "Flatten", "Gemm" })
            Assert.Contains(op, ops);
        var depthwise = graph.Layers.OfType<ConvLayer>().Where(c => c.Groups > 1).ToList();
        Assert.Equal(2, depthwise.Count);
        Assert.Contains("depthwise", graph.Describe().Single(l => l.Name == depthwise[0].Name).Kind);
        Assert.Equal(TestGraphs.Features, graph.FeatureCount);
    }

    [Theory]
    [InlineData("TensorFlowStyle")]
    [InlineData("ClipAttributes")]
    public void Import_of_other_operators_gives_ONNX_Runtimes_outputs(string name)
    {
        var bytes = name == "TensorFlowStyle" ? TestGraphs.TensorFlowStyle() : TestGraphs.ClipAttributes();
        var graph = ImportedGraph.FromModel(TestGraphs.Read(bytes), name);
        using var module = new OnnxGraphModule(graph);
        using var session = new InferenceSession(bytes);
        var images = Compare.Random(3 * ImageValues, seed: 15, -1, 1);

        var expected = Compare.Ort(session, images, 3, TestGraphs.Channels, Side, Side);
        var actual = Compare.Module(module, images, 3, TestGraphs.Channels, Side, Side);

        Assert.InRange(Compare.RelativeError(actual, expected), 0, 1e-4);
        if (name == "TensorFlowStyle")
        {
            // MatMul and the Add of its bias are one dense layer with a trained bias.
            var dense = Assert.Single(graph.Layers.OfType<DenseLayer>());
            Assert.Equal("MatMul+Add", dense.Op);
            Assert.Contains($"{dense.Name}.bias", module.named_parameters().Select(p => p.name));
            Assert.Contains(graph.Layers, l => l.Node.OpType == "Reshape");
            Assert.Contains(graph.Layers, l => l.Node.OpType == "Pad");
        }
    }

    [Fact]
    public void The_module_names_its_state_after_the_nodes_and_registers_every_tensor_of_it()
    {
        var graph = ImportedGraph.FromModel(TestGraphs.Read(TestGraphs.MobileNetStyle()), "mobilenet");
        using var module = new OnnxGraphModule(graph);

        var state = module.state_dict();
        Assert.Equal(graph.StateShapes.Keys.Order(), state.Keys.Order());
        foreach (var (name, shape) in graph.StateShapes)
            Assert.Equal(shape, state[name].shape);
        var stem = graph.Layers.OfType<ConvLayer>().First();
        Assert.Equal(new long[] { 16, 3, 3, 3 }, state[$"{stem.Name}.weight"].shape);
        var norm = graph.Layers.OfType<BatchNormLayer>().First();
        Assert.Contains($"{norm.Name}.running_var", module.named_buffers().Select(b => b.name));
        Assert.DoesNotContain($"{norm.Name}.running_var", module.named_parameters().Select(p => p.name));
        // Trainable: conv weights and biases, batch norm scales and shifts, the Gemm; not the constants.
        Assert.Equal(graph.ParameterCount, module.parameters().Sum(p => p.numel()));
        Assert.DoesNotContain(state.Keys, k => k.Contains("constant", StringComparison.Ordinal));
    }

    [Fact]
    public void An_unsupported_operator_is_refused_on_import_naming_it_its_node_and_the_supported_list()
    {
        var model = TestGraphs.Read(TestGraphs.MobileNetStyle());
        var head = model.Outputs[0].Name;
        var withErf = model with
        {
            Nodes = model.Nodes.Append(new OnnxNode("Erf", "gelu_erf", "", new[] { head }, new[] { "erf_out" }, Array.Empty<OnnxAttribute>())).ToArray(),
            Outputs = new[] { new OnnxValueInfo("erf_out", OnnxDataType.Float, null) },
        };

        var error = Assert.Throws<NotSupportedException>(() => ImportedGraph.FromModel(withErf, "'net.onnx'"));

        Assert.Contains("'net.onnx' uses operator 'Erf' (node 'gelu_erf')", error.Message);
        Assert.Contains("Conv, BatchNormalization, Relu, Clip", error.Message);
        // Cut before it, the same file imports.
        Assert.Equal(TestGraphs.Features, ImportedGraph.FromModel(withErf, "'net.onnx'", outputName: head).FeatureCount);
    }

    [Fact]
    public void A_cut_at_a_feature_map_is_pooled_to_features()
    {
        var model = TestGraphs.Read(TestGraphs.MobileNetStyle());
        var graph = ImportedGraph.FromModel(model, "mobilenet", outputName: "join_act");
        using var module = new OnnxGraphModule(graph);
        var images = Compare.Random(2 * ImageValues, seed: 8, -1, 1);

        var features = Compare.Module(module, images, 2, TestGraphs.Channels, Side, Side);

        Assert.Equal(16, graph.FeatureCount);
        Assert.True(graph.PoolsOutput);
        Assert.Equal(2 * 16, features.Length);
        Assert.DoesNotContain(graph.Layers, l => l.Node.OpType is "Gemm" or "Flatten" or "Sigmoid");
        Assert.Equal(ImportedGraph.FeaturesRow, graph.Describe()[^1].Name);
    }

    [Fact]
    public void Batch_normalisation_updates_its_running_statistics_as_PyTorch_does_in_training_mode_only()
    {
        var graph = ImportedGraph.FromModel(TestGraphs.Read(TestGraphs.BatchNormOnly()), "bn");
        using var module = new OnnxGraphModule(graph);
        var norm = graph.Layers.OfType<BatchNormLayer>().Single();
        var layer = module.Layer(norm.Name);
        float[] Stat(string name) => LayerModule.ValuesOf(layer.named_buffers().Single(b => b.name == name).buffer);
        var mean0 = Stat("running_mean");
        var var0 = Stat("running_var");
        const int batch = 4;
        var images = Compare.Random(batch * ImageValues, seed: 9, 0, 2);

        Compare.Module(module, images, batch, TestGraphs.Channels, Side, Side); // evaluation mode
        Assert.Equal(mean0, Stat("running_mean"));
        Assert.Equal(var0, Stat("running_var"));

        module.train();
        using (var x = TensorBridge.FromSpan(images, batch, TestGraphs.Channels, Side, Side))
        using (module.forward(x))
        {
        }

        // ONNX's momentum 0.9 keeps 90 % of the running statistics; PyTorch's 0.1 takes 10 % of the batch's
        // (the unbiased variance).
        Assert.Equal(0.9f, norm.OnnxMomentum);
        var pixels = batch * Side * Side;
        for (var c = 0; c < TestGraphs.Channels; c++)
        {
            var values = Enumerable.Range(0, batch).SelectMany(n => images.Skip((n * TestGraphs.Channels + c) * Side * Side).Take(Side * Side)).Select(v => (double)v).ToArray();
            var mean = values.Average();
            var variance = values.Sum(v => (v - mean) * (v - mean)) / (pixels - 1);
            Assert.Equal(0.9 * mean0[c] + 0.1 * mean, Stat("running_mean")[c], 1e-4);
            Assert.Equal(0.9 * var0[c] + 0.1 * variance, Stat("running_var")[c], 1e-4);
        }
    }

    [Fact]
    public void Gradients_flow_to_every_convolution_and_the_head_in_training_mode()
    {
        var graph = ImportedGraph.FromModel(TestGraphs.Read(TestGraphs.MobileNetStyle()), "mobilenet");
        using var module = new OnnxGraphModule(graph);
        module.train();
        var images = Compare.Random(4 * ImageValues, seed: 10, -1, 1);

        using (var scope = NewDisposeScope())
        {
            var features = module.forward(TensorBridge.FromSpan(images, 4, TestGraphs.Channels, Side, Side));
            features.square().mean().backward();
        }

        var weights = module.named_parameters().Where(p => p.name.EndsWith(".weight", StringComparison.Ordinal)).ToList();
        Assert.Equal(graph.Layers.Count(l => l is ConvLayer or DenseLayer or BatchNormLayer), weights.Count);
        foreach (var (name, parameter) in weights)
        {
            Assert.True(parameter.grad is not null, $"{name} has no gradient");
            using var size = parameter.grad!.abs().sum();
            Assert.True(size.item<float>() > 0, $"{name}'s gradient is zero");
        }
    }

    [Fact]
    public void The_structure_round_trips_and_the_written_back_model_scores_as_the_module_after_training()
    {
        var original = ImportedGraph.FromModel(TestGraphs.Read(TestGraphs.MobileNetStyle()), "mobilenet");
        using var trained = new OnnxGraphModule(original);
        TrainOneStep(trained);
        var reloaded = ImportedGraph.FromStructure(original.ToStructure());
        using var module = new OnnxGraphModule(reloaded);
        using (var saved = new MemoryStream())
        {
            trained.save(saved);
            using var state = new MemoryStream(saved.ToArray());
            module.load(state);
        }
        var images = Compare.Random(2 * ImageValues, seed: 11, -1, 1);

        var expected = Compare.Module(trained, images, 2, TestGraphs.Channels, Side, Side);
        Assert.Equal(expected, Compare.Module(module, images, 2, TestGraphs.Channels, Side, Side));
        Assert.Equal(original.Describe().Select(l => l.ToString()), reloaded.Describe().Select(l => l.ToString()));

        using var folder = new TempFolder();
        var path = folder.File("features.onnx");
        File.WriteAllBytes(path, GraphExport.FeaturesModel(module).ToArray());
        using var session = new InferenceSession(path);
        var fromFile = ImportedGraph.FromModel(TestGraphs.Read(TestGraphs.MobileNetStyle()), "mobilenet");
        using var untrained = new OnnxGraphModule(fromFile);
        Assert.InRange(Compare.RelativeError(Compare.Ort(session, images, 2, TestGraphs.Channels, Side, Side), expected), 0, 1e-4);
        Assert.True(Compare.RelativeError(Compare.Module(untrained, images, 2, TestGraphs.Channels, Side, Side), expected) > 1e-3, "training should have changed the outputs");
    }

    [Fact]
    public void The_normalisation_maps_channels_scales_and_centres_before_the_graph()
    {
        var graph = ImportedGraph.FromModel(TestGraphs.Read(TestGraphs.BatchNormOnly()), "bn");
        var bgr = new InputNormalization(255, new[] { 2, 1, 0 }, new[] { 100f, 110f, 120f }, new[] { 2f, 4f, 8f });
        using var plain = new OnnxGraphModule(graph);
        using var normalized = new OnnxGraphModule(graph, bgr);
        var images = Compare.Random(ImageValues, seed: 12);
        var plane = Side * Side;
        var mapped = new float[ImageValues];
        for (var c = 0; c < 3; c++)
            for (var i = 0; i < plane; i++)
                mapped[c * plane + i] = (images[(2 - c) * plane + i] * 255 - bgr.Mean[c]) / bgr.Std[c];

        var expected = Compare.Module(plain, mapped, 1, 3, Side, Side);
        var actual = Compare.Module(normalized, images, 1, 3, Side, Side);

        Assert.InRange(Compare.RelativeError(actual, expected), 0, 1e-5);
    }

    [Fact]
    public void A_grey_image_feeds_a_three_channel_network_through_the_channel_order()
    {
        var graph = ImportedGraph.FromModel(TestGraphs.Read(TestGraphs.BatchNormOnly()), "bn");
        using var module = new OnnxGraphModule(graph, new InputNormalization(1, new[] { 0, 0, 0 }, new float[3], new[] { 1f, 1f, 1f }));

        Assert.Equal(new ImageGeometry(1, Side, Side), module.InputGeometry);
        Assert.Equal(3, Compare.Module(module, Compare.Random(Side * Side, seed: 13), 1, 1, Side, Side).Length);
        var error = Assert.Throws<ArgumentException>(() => Compare.Module(module, Compare.Random(ImageValues, seed: 13), 1, 3, Side, Side));
        Assert.Contains("[N, 1, H, W]", error.Message);
    }

    [Fact]
    public void A_tensor_of_the_wrong_shape_for_a_layer_is_refused_on_import_naming_the_node()
    {
        var model = TestGraphs.Read(TestGraphs.MobileNetStyle());
        var gemm = model.Nodes.Single(n => n.OpType == "Gemm");
        var wrong = model with
        {
            Initializers = model.Initializers.Select(t => t.Name == gemm.Inputs[1] ? t with { Dims = new long[] { TestGraphs.Features, 32 }, Floats = new float[TestGraphs.Features * 32] } : t).ToArray(),
        };

        var error = Assert.Throws<InvalidDataException>(() => ImportedGraph.FromModel(wrong, "'net.onnx'"));

        Assert.StartsWith($"'net.onnx': Gemm node '{gemm.Name}': its input has shape [1, 16]", error.Message);
    }

    private static void TrainOneStep(OnnxGraphModule module)
    {
        module.train();
        using var optimizer = optim.SGD(module.parameters(), 0.1);
        using var scope = NewDisposeScope();
        optimizer.zero_grad();
        var images = TensorBridge.FromSpan(Compare.Random(4 * ImageValues, seed: 14, -1, 1), 4, TestGraphs.Channels, Side, Side);
        module.forward(images).square().mean().backward();
        optimizer.step();
    }
}
