using MlNetCnn.Onnx;
using MlNetCnn.Tasks;

namespace MlNetCnn.NetworkKinds;

/// <summary>
/// Whether and how a trained network is written as ONNX: the network's body through <see cref="OnnxExporter"/>
/// (which adds the task's tail), or, for a network MlNetCnn's writer cannot express, why not.
/// </summary>
internal sealed class OnnxForm
{
    private readonly Func<ImageGeometry, CnnTask, float, IEnumerable<KeyValuePair<string, string>>, ProtoMessage>? write;
    private readonly Func<string>? refusal;

    private OnnxForm(Func<ImageGeometry, CnnTask, float, IEnumerable<KeyValuePair<string, string>>, ProtoMessage>? write, Func<string>? refusal)
    {
        this.write = write;
        this.refusal = refusal;
    }

    /// <summary>A network written by <paramref name="write"/> (images, task, threshold, metadata).</summary>
    public static OnnxForm Of(Func<ImageGeometry, CnnTask, float, IEnumerable<KeyValuePair<string, string>>, ProtoMessage> write) => new(write, null);

    /// <summary>A network with no ONNX form; <paramref name="refusal"/> says why and what to do instead (it may load the network to name its first layer).</summary>
    public static OnnxForm None(Func<string> refusal) => new(null, refusal);

    /// <summary>Whether there is one: ONNX Runtime can score the network, and ExportOnnx can write it.</summary>
    public bool Exists => write is not null;

    /// <summary>The ONNX model; throws <see cref="NotSupportedException"/>, naming the first layer it cannot express, when there is none.</summary>
    public ProtoMessage Write(ImageGeometry geometry, CnnTask task, float threshold, IEnumerable<KeyValuePair<string, string>> metadata) =>
        write is not null ? write(geometry, task, threshold, metadata) : throw new NotSupportedException(refusal!());
}
