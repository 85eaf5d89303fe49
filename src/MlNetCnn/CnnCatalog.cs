using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace MlNetCnn;

/// <summary>ML.NET catalog entries: <c>mlContext.BinaryClassification.Trainers.Cnn(...)</c>.</summary>
public static class CnnCatalog
{
    /// <summary>
    /// A CNN binary image classifier on a Boolean label and a C×H×W Single image vector. The estimator uses the
    /// context's seed (unless options give one) and writes to its log.
    /// </summary>
    /// <param name="catalog">The binary classification trainers of an <see cref="MLContext"/>.</param>
    /// <param name="labelColumnName">Boolean label column; true is the positive class.</param>
    /// <param name="featureColumnName">Image column, as ExtractPixels makes it.</param>
    /// <param name="epochs">Passes over the training data.</param>
    /// <param name="batchSize">Images per training step and per scoring forward pass.</param>
    /// <param name="learningRate">Adam's learning rate.</param>
    public static CnnEstimator Cnn(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog,
        string labelColumnName = CnnOptions.DefaultLabelColumnName,
        string featureColumnName = CnnOptions.DefaultFeatureColumnName,
        int epochs = CnnOptions.DefaultEpochs,
        int batchSize = CnnOptions.DefaultBatchSize,
        double learningRate = CnnOptions.DefaultLearningRate)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new CnnEstimator(((Microsoft.ML.Data.IInternalCatalog)catalog).Environment, new CnnOptions
        {
            LabelColumnName = labelColumnName,
            FeatureColumnName = featureColumnName,
            Epochs = epochs,
            BatchSize = batchSize,
            LearningRate = learningRate,
        });
    }

    /// <summary>A CNN binary image classifier with every setting in <paramref name="options"/>.</summary>
    /// <param name="catalog">The binary classification trainers of an <see cref="MLContext"/>.</param>
    /// <param name="options">The settings; see <see cref="CnnOptions"/> for each default.</param>
    public static CnnEstimator Cnn(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog, CnnOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        return new CnnEstimator(((Microsoft.ML.Data.IInternalCatalog)catalog).Environment, options);
    }
}
