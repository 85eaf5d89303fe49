namespace MlNetCnn.Onnx;

/// <summary>The keys of the facts an exported ONNX model carries in its metadata_props.</summary>
internal static class OnnxMetadata
{
    public const string FormatVersion = OnnxExporter.MetadataPrefix + "model_format";
    public const string Channels = OnnxExporter.MetadataPrefix + "channels";
    public const string Height = OnnxExporter.MetadataPrefix + "height";
    public const string Width = OnnxExporter.MetadataPrefix + "width";
    public const string Threshold = OnnxExporter.MetadataPrefix + "threshold";
    public const string Network = OnnxExporter.MetadataPrefix + "network";
    public const string FeatureColumn = OnnxExporter.MetadataPrefix + "feature_column";
    public const string BestEpoch = OnnxExporter.MetadataPrefix + "best_epoch";
    /// <summary>How pixels were turned into features: "scale S, offset O" (feature = (pixel + O) × S), or <see cref="PixelScalingUnknown"/>.</summary>
    public const string PixelScaling = OnnxExporter.MetadataPrefix + "pixel_scaling";
    /// <summary>Colours extracted and their order, as ExtractPixels was told (e.g. "Rgb, ARGB order, planar").</summary>
    public const string Colors = OnnxExporter.MetadataPrefix + "colors";
    /// <summary>The resize step of the pipeline, e.g. "64×64, IsoCrop, Center".</summary>
    public const string Resize = OnnxExporter.MetadataPrefix + "resize";
    /// <summary>Whether the pipeline made the images grey before extracting pixels.</summary>
    public const string Grayscale = OnnxExporter.MetadataPrefix + "grayscale";

    /// <summary>What the transformer alone can say of the pixel scaling: only the pipeline that fed it knows.</summary>
    public const string PixelScalingUnknown = "as the pipeline's ExtractPixels gave them in training (export the whole pipeline with CnnModel.ExportOnnx to record it)";
}
