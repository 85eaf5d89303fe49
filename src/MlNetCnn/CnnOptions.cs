using Microsoft.ML;
using MlNetCnn.Network;

namespace MlNetCnn;

/// <summary>Settings of <see cref="CnnEstimator"/>. Every default is a named constant that other overloads reuse.</summary>
public sealed class CnnOptions
{
    /// <summary>Default of <see cref="LabelColumnName"/>.</summary>
    public const string DefaultLabelColumnName = "Label";
    /// <summary>Default of <see cref="FeatureColumnName"/>.</summary>
    public const string DefaultFeatureColumnName = "Features";
    /// <summary>Default of <see cref="Epochs"/>.</summary>
    public const int DefaultEpochs = 10;
    /// <summary>Default of <see cref="BatchSize"/>.</summary>
    public const int DefaultBatchSize = 32;
    /// <summary>Default of <see cref="LearningRate"/> (Adam's usual step size).</summary>
    public const double DefaultLearningRate = 1e-3;
    /// <summary>Default of <see cref="Threshold"/>.</summary>
    public const float DefaultThreshold = 0.5f;

    /// <summary>Name of the Boolean label column; true is the positive class. Default "Label".</summary>
    public string LabelColumnName { get; set; } = DefaultLabelColumnName;

    /// <summary>Name of the image column: a known-size Single vector of C×H×W values, as ExtractPixels makes it. Default "Features".</summary>
    public string FeatureColumnName { get; set; } = DefaultFeatureColumnName;

    /// <summary>Colour channels per image, for a feature column without image dimensions; null reads them from the column.</summary>
    public int? ImageChannels { get; set; }

    /// <summary>Image height in pixels, for a feature column without image dimensions; null reads it from the column.</summary>
    public int? ImageHeight { get; set; }

    /// <summary>Image width in pixels, for a feature column without image dimensions; null reads it from the column.</summary>
    public int? ImageWidth { get; set; }

    /// <summary>Passes over the training data. Default 10.</summary>
    public int Epochs { get; set; } = DefaultEpochs;

    /// <summary>Images per training step and per scoring forward pass. At least 2 (batch norm needs two rows). Default 32.</summary>
    public int BatchSize { get; set; } = DefaultBatchSize;

    /// <summary>Adam's learning rate. Default 0.001.</summary>
    public double LearningRate { get; set; } = DefaultLearningRate;

    /// <summary>Seed of weight initialisation and shuffling; null takes one from the <see cref="MLContext"/>.</summary>
    public int? Seed { get; set; }

    /// <summary>PredictedLabel is Probability ≥ Threshold. In [0, 1]. Default 0.5.</summary>
    public float Threshold { get; set; } = DefaultThreshold;

    /// <summary>Rows to measure after every epoch (label and feature columns as the estimator sees them); null for none.</summary>
    public IDataView? ValidationSet { get; set; }

    /// <summary>Receives a report after every training batch and every epoch; null for none. Called on the training thread.</summary>
    public IProgress<Diagnostics.TrainingProgress>? Progress { get; set; }

    /// <summary>Stops training between batches; Fit then throws <see cref="OperationCanceledException"/> and returns no model.</summary>
    public CancellationToken CancellationToken { get; set; }

    /// <summary>Layer sizes. Default: the question's network (<see cref="NetworkShape.Default"/>).</summary>
    public NetworkShape Network { get; set; } = NetworkShape.Default;

    /// <summary>Throws, naming the setting and its value, when a setting is out of range.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(LabelColumnName))
            throw new ArgumentException("LabelColumnName must name a column.", nameof(LabelColumnName));
        if (string.IsNullOrWhiteSpace(FeatureColumnName))
            throw new ArgumentException("FeatureColumnName must name a column.", nameof(FeatureColumnName));
        if (Epochs < 1)
            throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "Epochs must be at least 1.");
        if (BatchSize < 2)
            throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "BatchSize must be at least 2: batch normalisation needs two rows per step.");
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate))
            throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "LearningRate must be a positive finite number.");
        if (!(Threshold >= 0 && Threshold <= 1))
            throw new ArgumentOutOfRangeException(nameof(Threshold), Threshold, "Threshold must be in [0, 1].");
        foreach (var (name, value) in new[] { (nameof(ImageChannels), ImageChannels), (nameof(ImageHeight), ImageHeight), (nameof(ImageWidth), ImageWidth) })
        {
            if (value is <= 0)
                throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive when given.");
        }
        if ((ImageChannels is null) != (ImageHeight is null) || (ImageHeight is null) != (ImageWidth is null))
            throw new ArgumentException("State all of ImageChannels, ImageHeight and ImageWidth, or none.");
        ArgumentNullException.ThrowIfNull(Network, nameof(Network));
        Network.Validate();
    }

    /// <summary>A copy whose later changes do not reach the estimator.</summary>
    internal CnnOptions Clone() => (CnnOptions)MemberwiseClone();
}
