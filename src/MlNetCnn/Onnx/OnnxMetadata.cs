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
    /// <summary>ExtractPixels' scaleImage, round-trip text.</summary>
    public const string PixelScale = OnnxExporter.MetadataPrefix + "pixel_scale";
    /// <summary>ExtractPixels' offsetImage, round-trip text.</summary>
    public const string PixelOffset = OnnxExporter.MetadataPrefix + "pixel_offset";
    /// <summary>ExtractPixels' colorsToExtract (an ImagePixelExtractingEstimator.ColorBits name, e.g. "Rgb").</summary>
    public const string ColorBits = OnnxExporter.MetadataPrefix + "color_bits";
    /// <summary>ExtractPixels' orderOfExtraction (an ImagePixelExtractingEstimator.ColorsOrder name, e.g. "ARGB").</summary>
    public const string ColorOrder = OnnxExporter.MetadataPrefix + "color_order";
    /// <summary>ExtractPixels' interleavePixelColors ("true" or "false").</summary>
    public const string Interleave = OnnxExporter.MetadataPrefix + "interleave";
    /// <summary>The resize step of the pipeline, e.g. "64×64, IsoCrop, Center".</summary>
    public const string Resize = OnnxExporter.MetadataPrefix + "resize";
    /// <summary>The resize step's kind (an ImageResizingEstimator.ResizingKind name: "IsoCrop", "Fill", "IsoPad").</summary>
    public const string ResizeMode = OnnxExporter.MetadataPrefix + "resize_mode";
    /// <summary>The resize step's anchor (an ImageResizingEstimator.Anchor name).</summary>
    public const string ResizeAnchor = OnnxExporter.MetadataPrefix + "resize_anchor";
    /// <summary>Whether the pipeline made the images grey before extracting pixels.</summary>
    public const string Grayscale = OnnxExporter.MetadataPrefix + "grayscale";

    /// <summary>What Label true stands for, when training named the classes.</summary>
    public const string PositiveClass = OnnxExporter.MetadataPrefix + "positive_class";
    /// <summary>What Label false stands for, when training named the classes.</summary>
    public const string NegativeClass = OnnxExporter.MetadataPrefix + "negative_class";
    /// <summary>
    /// When MlNetCnn's own image step (CnnImageTransformer) made the features: its settings, e.g. "64×64 colour,
    /// Pad, background #FFFFFF, EXIF orientation applied". Then <see cref="ResizeMode"/> is "Stretch", "CenterCrop" or
    /// "Pad", <see cref="ColorBits"/> "Rgb" or "Luma", and <see cref="Background"/> the background colour.
    /// </summary>
    public const string ImageStep = OnnxExporter.MetadataPrefix + "image_step";
    /// <summary>The image step's background, #RRGGBB: what transparent pixels and padded margins show.</summary>
    public const string Background = OnnxExporter.MetadataPrefix + "background";

    /// <summary>What the transformer alone can say of the pixel scaling: only the pipeline that fed it knows.</summary>
    public const string PixelScalingUnknown = "as the pipeline's ExtractPixels gave them in training (export the whole pipeline with CnnModel.ExportOnnx to record it)";
}
