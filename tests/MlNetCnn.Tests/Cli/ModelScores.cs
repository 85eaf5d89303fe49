using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetCnn.Tests.Cli;

/// <summary>What a model.zip gives through ML.NET alone: MLContext.Model.Load, then Transform over image paths.</summary>
public static class ModelScores
{
    /// <summary>The probability of each image in <paramref name="paths"/>, in order.</summary>
    public static float[] Of(string model, IEnumerable<string> paths)
    {
        var ml = new MLContext(seed: 0);
        _ = typeof(CnnTransformer).Assembly;
        _ = typeof(ImageLoadingTransformer).Assembly;
        var transformer = ml.Model.Load(model, out _);
        try
        {
            var rows = paths.Select(p => new PathRow { ImagePath = Path.GetFullPath(p) }).ToArray();
            var scored = transformer.Transform(ml.Data.LoadFromEnumerable(rows));
            return scored.GetColumn<float>(CnnTransformer.ProbabilityColumnName).ToArray();
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
