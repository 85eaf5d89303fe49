using MlNetCnn.Network.Import;
using MlNetCnn.Onnx;

namespace MlNetCnn.Tests.Network.Import;

public sealed class OnnxReaderTests
{
    [Fact]
    public void What_the_writer_writes_the_reader_reads_back_field_for_field()
    {
        var model = TestGraphs.Read(TestGraphs.MobileNetStyle());

        var again = OnnxReader.Read(OnnxFileWriter.ToBytes(model), "again");

        Assert.Equal(14, again.Opset);
        Assert.Equal(model.IrVersion, again.IrVersion);
        Assert.Equal(model.Nodes.Select(n => (n.OpType, n.Name, string.Join(",", n.Inputs), string.Join(",", n.Outputs))),
            again.Nodes.Select(n => (n.OpType, n.Name, string.Join(",", n.Inputs), string.Join(",", n.Outputs))));
        var conv = again.Nodes.First(n => n.OpType == "Conv");
        Assert.Equal(new long[] { 1, 1, 1, 1 }, conv.Ints("pads"));
        Assert.Equal(new long[] { 2, 2 }, conv.Ints("strides"));
        Assert.Equal(1f / 6, again.Nodes.Single(n => n.OpType == "HardSigmoid").Float("alpha", 0));
        Assert.Equal(model.Initializers.Select(t => (t.Name, t.Shape, t.DataType)), again.Initializers.Select(t => (t.Name, t.Shape, t.DataType)));
        Assert.All(model.Initializers.Zip(again.Initializers), p => Assert.Equal(p.First.Floats, p.Second.Floats));
        Assert.Equal("[N, 3, 32, 32]", again.Inputs.Single().ShapeText);
    }

    [Fact]
    public void Empty_bytes_and_a_zip_archive_are_refused_saying_what_they_are()
    {
        Assert.Contains("is empty", Assert.Throws<InvalidDataException>(() => OnnxReader.Read(Array.Empty<byte>(), "'a.onnx'")).Message);
        var zip = "PK\u0003\u0004rest"u8.ToArray();
        Assert.Contains("'model.zip' is a zip archive", Assert.Throws<InvalidDataException>(() => OnnxReader.Read(zip, "'model.zip'")).Message);
    }

    [Fact]
    public void A_truncated_file_is_refused_naming_where_it_ends()
    {
        var bytes = TestGraphs.MobileNetStyle();

        var error = Assert.Throws<InvalidDataException>(() => OnnxReader.Read(bytes.AsSpan(0, bytes.Length * 2 / 3), "'cut.onnx'"));

        Assert.StartsWith("'cut.onnx' is not an ONNX model this reader can read. At byte", error.Message);
        Assert.Contains("past the end", error.Message);
    }

    [Fact]
    public void Random_bytes_are_refused()
    {
        var random = new Random(3);
        var bytes = new byte[4096];
        random.NextBytes(bytes);
        bytes[0] = 0x08; // a plausible first tag (field 1, varint), so that the refusal comes from deeper in

        var error = Assert.Throws<InvalidDataException>(() => OnnxReader.Read(bytes, "'noise.onnx'"));

        Assert.StartsWith("'noise.onnx' is not an ONNX model", error.Message);
    }

    [Fact]
    public void A_message_without_a_graph_is_refused()
    {
        var bytes = new ProtoMessage().Varint(1, 8).String(2, "someone").ToArray();

        Assert.Contains("has no graph", Assert.Throws<InvalidDataException>(() => OnnxReader.Read(bytes, "'x.onnx'")).Message);
    }

    [Fact]
    public void A_tensor_whose_data_does_not_fill_its_dims_is_refused_by_name()
    {
        var model = TestGraphs.Read(TestGraphs.BatchNormOnly());
        var broken = model with { Initializers = model.Initializers.Select(t => t.Name == "scale" ? t with { Dims = new long[] { 4 } } : t).ToArray() };

        var error = Assert.Throws<InvalidDataException>(() => OnnxReader.Read(OnnxFileWriter.ToBytes(broken), "'x.onnx'"));

        Assert.Contains("Tensor 'scale' has dims [4] (4 float values) but 12 bytes of raw_data", error.Message);
    }

    [Fact]
    public void Weights_in_an_external_file_are_refused_saying_how_to_save_them_inside()
    {
        var tensor = new ProtoMessage().PackedInt64(1, new long[] { 2 }).Varint(2, OnnxDataType.Float).String(8, "w").Varint(14, 1);
        var graph = new ProtoMessage().Message(5, tensor);
        var bytes = new ProtoMessage().Varint(1, 8).Message(7, graph).Message(8, new ProtoMessage().String(1, "").Varint(2, 13)).ToArray();

        var error = Assert.Throws<InvalidDataException>(() => OnnxReader.Read(bytes, "'x.onnx'"));

        Assert.Contains("Tensor 'w' keeps its data in an external file", error.Message);
    }

    [Fact]
    public void An_attribute_of_the_wrong_type_is_refused_naming_node_and_attribute()
    {
        var node = new OnnxNode("Conv", "c1", "", new[] { "x" }, new[] { "y" }, new[] { new OnnxAttribute("group", OnnxAttributeType.Float, Float: 2) });

        var error = Assert.Throws<InvalidDataException>(() => node.Int("group", 1));

        Assert.Equal("Conv node 'c1' has attribute 'group' of type Float; ONNX defines it as Int.", error.Message);
    }
}
