using Microsoft.ML;

namespace MlNetCnn.Tests.Support;

/// <summary>One model trained once on synthetic images and shared by the tests of a class.</summary>
public sealed class TrainedModel : IDisposable
{
    public TrainedModel()
    {
        Ml = new MLContext(seed: 1);
        Train = SyntheticImages.DataView(Ml, 240, seed: 11);
        Test = SyntheticImages.DataView(Ml, 120, seed: 12);
        Transformer = new CnnEstimator(Ml, SyntheticImages.FastOptions()).Fit(Train);
    }

    public MLContext Ml { get; }

    public IDataView Train { get; }

    public IDataView Test { get; }

    public CnnTransformer Transformer { get; }

    public void Dispose() => Transformer.Dispose();
}
