using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace MlNetCnn;

/// <summary>ML.NET catalog entries: <c>mlContext.BinaryClassification.Trainers.Cnn(...)</c> and <c>mlContext.Transforms.LoadCnnImages(...)</c>.</summary>
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

    /// <summary>
    /// The image step for the CNN: image paths to the network's input, upright by EXIF orientation, transparency on
    /// white, stretched to <paramref name="width"/>×<paramref name="height"/>, colour kept when the training images have it.
    /// </summary>
    /// <param name="catalog">The transforms of an <see cref="MLContext"/>.</param>
    /// <param name="outputColumnName">The column made (Single, channels × height × width, values in [0, 1]).</param>
    /// <param name="imageFolder">Folder of relative paths; null for paths as given.</param>
    /// <param name="inputColumnName">The text column of image paths.</param>
    /// <param name="width">Width of the network's input, in pixels.</param>
    /// <param name="height">Height of the network's input, in pixels.</param>
    public static CnnImageEstimator LoadCnnImages(this TransformsCatalog catalog,
        string outputColumnName = CnnOptions.DefaultFeatureColumnName,
        string? imageFolder = null,
        string inputColumnName = CnnImageOptions.DefaultInputColumnName,
        int width = CnnImageOptions.DefaultImageSize,
        int height = CnnImageOptions.DefaultImageSize)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new CnnImageEstimator(((Microsoft.ML.Data.IInternalCatalog)catalog).Environment, new CnnImageOptions
        {
            OutputColumnName = outputColumnName,
            ImageFolder = imageFolder,
            InputColumnName = inputColumnName,
            Width = width,
            Height = height,
        });
    }

    /// <summary>The image step for the CNN with every setting in <paramref name="options"/>; see <see cref="CnnImageOptions"/>.</summary>
    /// <param name="catalog">The transforms of an <see cref="MLContext"/>.</param>
    /// <param name="options">The settings; see <see cref="CnnImageOptions"/> for each default.</param>
    public static CnnImageEstimator LoadCnnImages(this TransformsCatalog catalog, CnnImageOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        return new CnnImageEstimator(((Microsoft.ML.Data.IInternalCatalog)catalog).Environment, options);
    }
}
