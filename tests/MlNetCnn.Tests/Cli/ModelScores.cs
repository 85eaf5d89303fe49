using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetCnn.Tests.Cli;

/// <summary>What a model.zip gives through ML.NET alone: MLContext.Model.Load, then Transform over image paths.</summary>
public static class ModelScores
{
    /// <summary>One image's prediction: the model's probability and its label at the model's threshold.</summary>
    public sealed class Prediction
    {
        public float Probability { get; set; }
        public bool PredictedLabel { get; set; }
    }

    /// <summary>The probability of each image in <paramref name="paths"/>, in order.</summary>
    public static float[] Of(string model, IEnumerable<string> paths) => Predictions(model, paths).Select(p => p.Probability).ToArray();

    /// <summary>The prediction for each image in <paramref name="paths"/>, in order.</summary>
    public static Prediction[] Predictions(string model, IEnumerable<string> paths)
    {
        var ml = new MLContext(seed: 0);
        _ = typeof(CnnTransformer).Assembly;
        _ = typeof(ImageLoadingTransformer).Assembly;
        var transformer = ml.Model.Load(model, out _);
        try
        {
            var rows = paths.Select(p => new PathRow { ImagePath = Path.GetFullPath(p) }).ToArray();
            var scored = transformer.Transform(ml.Data.LoadFromEnumerable(rows));
            return ml.Data.CreateEnumerable<Prediction>(scored, reuseRowObject: false).ToArray();
        }
        finally
        {
            (transformer as IDisposable)?.Dispose();
        }
    }

    private sealed class PathRow
    {
        public string ImagePath { get; set; } = "";
    }
}
