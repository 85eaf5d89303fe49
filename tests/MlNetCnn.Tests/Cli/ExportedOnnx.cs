using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;

namespace MlNetCnn.Tests.Cli;

/// <summary>What <c>predict</c> says of some images, beside what ONNX Runtime computes from an exported model.onnx for the same pixels.</summary>
public static class ExportedOnnx
{
    /// <summary>
    /// The probabilities <c>predict --json</c> gives <paramref name="images"/> with <paramref name="model"/>, and those ONNX
    /// Runtime computes with <paramref name="onnx"/> from the features the model's own image steps (all but the network)
    /// make of them; and the ONNX file's custom metadata.
    /// </summary>
    public static (float[] Predicted, float[] Onnx, IReadOnlyDictionary<string, string> Metadata) Score(string model, string onnx, string[] images)
    {
        using var json = JsonDocument.Parse(CliRun.Of(["predict", "--model", model, "--json", .. images]).Succeeded().Out);
        var predicted = json.RootElement.EnumerateArray().Select(e => e.GetProperty("probability").GetSingle()).ToArray();

        var ml = new MLContext(seed: 0);
        var chain = (TransformerChain<ITransformer>)ml.Model.Load(model, out _);
        try
        {
            var steps = new TransformerChain<ITransformer>(chain.Take(chain.Count() - 1).ToArray());
            var rows = ml.Data.LoadFromEnumerable(images.Select(p => new PathRow { ImagePath = p }).ToArray());
            var features = steps.Transform(rows).GetColumn<float[]>("Features").ToArray();
            var g = chain.FindCnn().Geometry;
            using var session = new InferenceSession(onnx);
            using var input = OrtValue.CreateTensorValueFromMemory(features.SelectMany(f => f).ToArray(), new long[] { features.Length, g.Channels, g.Height, g.Width });
            using var outputs = session.Run(new RunOptions(), new[] { "Features" }, new[] { input }, new[] { "Probability" });
            return (predicted, outputs[0].GetTensorDataAsSpan<float>().ToArray(), session.ModelMetadata.CustomMetadataMap);
        }
        finally
        {
            (chain as IDisposable)?.Dispose();
        }
    }

    private sealed class PathRow
    {
        public string ImagePath { get; set; } = "";
    }
}
