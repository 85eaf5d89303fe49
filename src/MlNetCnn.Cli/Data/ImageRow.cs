namespace MlNetCnn.Cli.Data;

/// <summary>One input row of the pipeline: an image file and its class. The model's saved input schema is this type's.</summary>
internal sealed class ImageRow
{
    /// <summary>Full path of the image file.</summary>
    public string ImagePath { get; set; } = "";

    /// <summary>True for the positive class.</summary>
    public bool Label { get; set; }
}
