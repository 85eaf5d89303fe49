using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetCnn.Tests.Onnx;

/// <summary>
/// What the README shows an ML.NET app without MlNetCnn doing: ApplyOnnxModel gives each output as a vector of one
/// value ([N] per batch is [1] per row); a CustomMapping makes them the scalar columns Evaluate reads.
/// </summary>
public static class OnnxScores
{
    public static IEstimator<ITransformer> Apply(MLContext ml, string onnxPath) =>
        ml.Transforms.ApplyOnnxModel(new[] { "Score", "Probability", "PredictedLabel" }, new[] { "Features" }, onnxPath)
            .Append(ml.Transforms.CustomMapping<OnnxRow, ScalarRow>((row, scalar) =>
            {
                scalar.Score = row.Score[0];
                scalar.Probability = row.Probability[0];
                scalar.PredictedLabel = row.PredictedLabel[0];
            }, contractName: null));

    public sealed class OnnxRow
    {
        [VectorType(1)] public float[] Score { get; set; } = Array.Empty<float>();
        [VectorType(1)] public float[] Probability { get; set; } = Array.Empty<float>();
        [VectorType(1)] public bool[] PredictedLabel { get; set; } = Array.Empty<bool>();
    }

    public sealed class ScalarRow
    {
        public float Score { get; set; }
        public float Probability { get; set; }
        public bool PredictedLabel { get; set; }
    }
}
