using MlNetCnn.Native;
using MlNetCnn.Network;
using MlNetCnn.Network.Import;

namespace MlNetCnn;

/// <summary>
/// A pretrained convolutional network in an ONNX file, to start training from (transfer learning): which file, up
/// to which output, and how images are normalised for it. Found and checked offline; the file is read when the
/// network is built (or described), and what it cannot run is refused then, before any training, with the
/// operator and node named.
/// </summary>
public sealed class PretrainedBackbone
{
    private PretrainedBackbone(string name, string modelPath, string? outputName, InputNormalization? normalization, ImageGeometry? inputSize)
    {
        Name = name;
        ModelPath = modelPath;
        OutputName = outputName;
        Normalization = normalization;
        InputSize = inputSize;
    }

    /// <summary>The NuGet package whose ResNet18.onnx <see cref="ResNet18"/> uses.</summary>
    public const string ResNet18Package = BackboneFiles.ResNet18Package;

    /// <summary>What the backbone is called in messages and descriptions ("ResNet18", or the file's name).</summary>
    public string Name { get; }

    /// <summary>The full path of the ONNX file.</summary>
    public string ModelPath { get; }

    /// <summary>The value (or node) whose output are the features; null for the graph's output.</summary>
    public string? OutputName { get; }

    /// <summary>How the image step's [0, 1] RGB values are mapped before the network; null to feed them as they are.</summary>
    public InputNormalization? Normalization { get; }

    /// <summary>The nominal input size, for a file whose input leaves height and width open; null to take the file's.</summary>
    public ImageGeometry? InputSize { get; }

    /// <summary>
    /// ML.NET's pretrained ResNet18 (a CNTK 2.6 export, 11.2 million parameters; 512 features after its global
    /// pooling), from the NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18. Without <paramref name="path"/> it
    /// looks where the package puts the file: DnnImageModels/ResNet18Onnx/ResNet18.onnx in the app's folder (the
    /// package copies it there), then every version of the package in $NUGET_PACKAGES and ~/.nuget/packages. The
    /// normalisation (BGR, 0–255, minus the per-channel mean) is read from the ResNetPreprocess.onnx beside it.
    /// </summary>
    /// <param name="path">ResNet18.onnx, or a folder holding it (the DnnImageModels folder, or one that holds that); null to search.</param>
    /// <exception cref="FileNotFoundException">The file is not found; the message names the package to add and every path looked in.</exception>
    public static PretrainedBackbone ResNet18(string? path = null)
    {
        var file = path switch
        {
            null => BackboneFiles.FindResNet18(AppContext.BaseDirectory, Environment.GetEnvironmentVariable("NUGET_PACKAGES"),
                Environment.GetFolderPath(Environment.SpecialFolder.UserProfile)),
            _ when File.Exists(path) => Path.GetFullPath(path),
            _ when Directory.Exists(path) => BackboneFiles.InFolder(path)
                ?? throw new FileNotFoundException($"The folder '{path}' holds no ResNet18.onnx (looked for it there, in ResNet18Onnx/ and in DnnImageModels/ResNet18Onnx/).", path),
            _ => throw new FileNotFoundException($"There is no file or folder '{path}'. Pass ResNet18.onnx from the package {ResNet18Package}, or no path to search for it.", path),
        };
        var preprocess = BackboneFiles.PreprocessBeside(file);
        var normalization = preprocess is null ? ResNetPreprocess.Recorded : ResNetPreprocess.Read(preprocess);
        return new PretrainedBackbone("ResNet18", Path.GetFullPath(file), null, normalization, null);
    }

    /// <summary>
    /// Any ONNX image network whose operators MlNetCnn imports: Conv, BatchNormalization, Relu, Clip, LeakyRelu,
    /// Sigmoid, HardSigmoid, HardSwish, Add, Mul, Concat, MaxPool, AveragePool, GlobalAveragePool, Flatten, Reshape
    /// (a flattening), Gemm, MatMul, Pad (constant), Dropout, Identity and Constant.
    /// </summary>
    /// <param name="path">The .onnx file.</param>
    /// <param name="normalization">How images are mapped for it (e.g. <see cref="InputNormalization.ImageNet"/> for torchvision's networks); null to feed them as they are.</param>
    /// <param name="outputName">The value or node to take the features from (a cut before the classifier); null for the graph's output.</param>
    /// <param name="inputSize">The nominal input size, needed when the file's input leaves height and width open.</param>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    public static PretrainedBackbone FromOnnx(string path, InputNormalization? normalization = null, string? outputName = null, ImageGeometry? inputSize = null)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"There is no ONNX file at '{path}'.", path);
        return new PretrainedBackbone(Path.GetFileNameWithoutExtension(path), Path.GetFullPath(path), outputName, normalization, inputSize);
    }

    /// <summary>
    /// Reads the file and lists the network's layers at <paramref name="inputSize"/> (default: its nominal size): name,
    /// operator and settings, output shape, parameters and forward FLOPs.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not an ONNX network MlNetCnn can read.</exception>
    /// <exception cref="NotSupportedException">It uses an operator MlNetCnn does not import; the message names it, its node and the supported list.</exception>
    public IReadOnlyList<LayerSummary> Describe(ImageGeometry? inputSize = null)
    {
        var graph = Import();
        // The size is the images' as the image step gives them; the normalisation may change their channels.
        return graph.Describe(inputSize is { } size ? size with { Channels = graph.InputGeometry.Channels } : null);
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{Name} ({ModelPath}{(OutputName is null ? "" : $", up to '{OutputName}'")}; input {(Normalization is null ? "as given" : Normalization.ToString())})";

    /// <summary>Reads and imports the file.</summary>
    internal ImportedGraph Import() => ImportedGraph.Load(ModelPath, OutputName, InputSize);

    /// <summary>The trainable module: the imported graph with its weights, and the normalisation first.</summary>
    internal OnnxGraphModule CreateModule()
    {
        TorchRuntime.EnsureLoaded();
        return new OnnxGraphModule(Import(), Normalization);
    }
}
