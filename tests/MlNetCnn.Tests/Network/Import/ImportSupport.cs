using System.Reflection;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MlNetCnn.Native;
using MlNetCnn.Network;
using MlNetCnn.Network.Import;
using static TorchSharp.torch;

namespace MlNetCnn.Tests.Network.Import;

/// <summary>ResNet18.onnx as the test project's PackageDownload put it, read once for every test that needs it.</summary>
public sealed class ResNet18Fixture : IDisposable
{
    public ResNet18Fixture()
    {
        TorchRuntime.EnsureLoaded();
        Path = ResNet18Path();
        Graph = ImportedGraph.Load(Path);
        Module = new OnnxGraphModule(Graph);
        Module.eval();
        Session = new InferenceSession(Path);
    }

    /// <summary>The package's models folder (DnnImageModels) in the NuGet packages folder.</summary>
    public static string ModelsFolder
    {
        get
        {
            var metadata = typeof(ResNet18Fixture).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().ToDictionary(a => a.Key, a => a.Value);
            return System.IO.Path.Combine(metadata["NuGetPackageRoot"]!, BackboneFiles.ResNet18Package.ToLowerInvariant(),
                metadata["ResNet18PackageVersion"]!, "tools", BackboneFiles.ModelsFolder);
        }
    }

    public static string ResNet18Path() => System.IO.Path.Combine(ModelsFolder, BackboneFiles.ResNet18File);

    public string Path { get; }

    internal ImportedGraph Graph { get; }

    internal OnnxGraphModule Module { get; }

    public InferenceSession Session { get; }

    public void Dispose()
    {
        Module.Dispose();
        Session.Dispose();
    }
}

/// <summary>Runs ONNX Runtime and the imported module on the same values, and compares them.</summary>
internal static class Compare
{
    /// <summary>Uniform values in [low, high) from a fixed seed.</summary>
    public static float[] Random(int count, int seed, float low = 0, float high = 1)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => low + (high - low) * random.NextSingle()).ToArray();
    }

    /// <summary>ONNX Runtime's first output for one input.</summary>
    public static float[] Ort(InferenceSession session, float[] values, params int[] dims)
    {
        var input = NamedOnnxValue.CreateFromTensor(session.InputMetadata.Keys.Single(), new DenseTensor<float>(values, dims));
        using var results = session.Run(new[] { input });
        return results.First().AsTensor<float>().ToArray();
    }

    /// <summary>The module's output for one batch, in evaluation mode without gradients.</summary>
    internal static float[] Module(OnnxGraphModule module, float[] values, params long[] dims)
    {
        module.eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var output = module.forward(TensorBridge.FromSpan(values, dims));
        var result = new float[output.numel()];
        TensorBridge.CopyTo(output, result);
        return result;
    }

    /// <summary>The largest difference relative to the reference's scale (its largest magnitude).</summary>
    public static double RelativeError(float[] actual, float[] expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        var scale = expected.Max(v => Math.Abs(v));
        Assert.True(scale > 0, "the reference is all zeros, which compares nothing");
        return actual.Zip(expected, (a, e) => Math.Abs(a - e)).Max() / scale;
    }
}
