using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetCnn.Network;
using MlNetCnn.Tests.Support;

namespace MlNetCnn.Tests.Onnx;

/// <summary>
/// A small network trained once on 240 shipped Fashion-MNIST images (3×36×36), with the 400 validation images
/// decoded once into feature rows: real images for the engine and export tests.
/// </summary>
public sealed class ShippedImagesModel : IDisposable
{
    public ShippedImagesModel()
    {
        Ml = new MLContext(seed: 1);
        var steps = ShippedImages.ImageSteps(Ml);
        var options = new CnnOptions
        {
            Epochs = 2, BatchSize = 16, LearningRate = 3e-3, Seed = 1,
            Network = new NetworkShape(new[] { 8, 8, 16 }, 5, 2, new[] { 32 }),
        };
        Pipeline = steps.Append(new CnnEstimator(Ml, options)).Fit(ShippedImages.Rows(Ml, "train", take: 240));
        Cnn = Pipeline.LastTransformer;
        ValidRows = ShippedImages.Rows(Ml, "valid");
        var validSteps = ShippedImages.ImageSteps(Ml).Fit(ValidRows);
        Features = Ml.Data.Cache(validSteps.Transform(ValidRows));
        ValidFeatures = Features.GetColumn<float[]>("Features").ToArray();
        ValidLabels = Features.GetColumn<bool>("Label").ToArray();
    }

    public MLContext Ml { get; }

    /// <summary>The fitted pipeline: image steps, then the CNN.</summary>
    public Microsoft.ML.Data.TransformerChain<CnnTransformer> Pipeline { get; }

    /// <summary>The pipeline's CNN (ONNX Runtime engine, the default).</summary>
    public CnnTransformer Cnn { get; }

    /// <summary>data/valid's ImagePath and Label rows.</summary>
    public IDataView ValidRows { get; }

    /// <summary>data/valid through the image steps, cached: ImagePath, Label, Image, Features.</summary>
    public IDataView Features { get; }

    /// <summary>Each validation image's 3×36×36 features.</summary>
    public float[][] ValidFeatures { get; }

    /// <summary>Each validation image's label.</summary>
    public bool[] ValidLabels { get; }

    public void Dispose() => Pipeline.Dispose();
}
