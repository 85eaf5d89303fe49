using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetCnn.Tests.Support;

/// <summary>Two tiny models trained once on synthetic images, one in BFloat16 and one in Float32, shared by a test class.</summary>
public sealed class PrecisionModels : IDisposable
{
    public PrecisionModels()
    {
        Ml = new MLContext(seed: 1);
        Train = SyntheticImages.DataView(Ml, 48, seed: 1);
        Test = SyntheticImages.DataView(Ml, 20, seed: 3);
        BFloat16 = Fit(Precision.BFloat16);
        Float32 = Fit(Precision.Float32);
    }

    public MLContext Ml { get; }

    public IDataView Train { get; }

    public IDataView Test { get; }

    /// <summary>Trained with Precision BFloat16 (which runs, slower, where bfloat16 is not native).</summary>
    public CnnTransformer BFloat16 { get; }

    public CnnTransformer Float32 { get; }

    /// <summary>The test images' pixels, one image after another.</summary>
    public float[] TestPixels => Test.GetColumn<float[]>(nameof(ImageRow.Features)).SelectMany(f => f).ToArray();

    private CnnTransformer Fit(Precision precision)
    {
        var options = SyntheticImages.FastOptions(epochs: 2);
        options.Precision = precision;
        return new CnnEstimator(Ml, options).Fit(Train);
    }

    public void Dispose()
    {
        BFloat16.Dispose();
        Float32.Dispose();
    }
}
