using System.ComponentModel;
using System.Drawing;

namespace MlNetCnn;

/// <summary>
/// Settings of <see cref="CnnImageEstimator"/>: how image files become the network's input. Every default is a named
/// constant; the command line's defaults are the same ones. As with <see cref="CnnOptions"/>, each settable property
/// is a flag of the command line's <c>train</c> (Width and Height together: <c>--image-size</c>).
/// </summary>
public sealed class CnnImageOptions
{
    /// <summary>Default of <see cref="InputColumnName"/>.</summary>
    public const string DefaultInputColumnName = "ImagePath";
    /// <summary>Default of <see cref="Width"/> and <see cref="Height"/>: the smallest side the default network accepts.</summary>
    public const int DefaultImageSize = 36;
    /// <summary>Default of <see cref="Resize"/>.</summary>
    public const ImageResizeMode DefaultResize = ImageResizeMode.Stretch;
    /// <summary>Default of <see cref="ColorMode"/>.</summary>
    public const ImageColorMode DefaultColorMode = ImageColorMode.Auto;
    /// <summary>Largest <see cref="Width"/> and <see cref="Height"/>.</summary>
    public const int MaxImageSize = 4096;

    /// <summary>Default of <see cref="Background"/>: white, what a viewer shows behind a transparent picture.</summary>
    public static Color DefaultBackground => Color.White;

    /// <summary>The text column with each image's file path (relative to <see cref="ImageFolder"/> when that is set). Default "ImagePath".</summary>
    [Category("data")]
    public string InputColumnName { get; set; } = DefaultInputColumnName;

    /// <summary>The column made: a Single vector of channels × height × width values in [0, 1], as ExtractPixels makes it. Default "Features".</summary>
    [Category("data")]
    public string OutputColumnName { get; set; } = CnnOptions.DefaultFeatureColumnName;

    /// <summary>The folder relative paths are read from; null for paths as given (relative to the working folder).</summary>
    [Category("data")]
    public string? ImageFolder { get; set; }

    /// <summary>Width of the network's input, in pixels. Default 36.</summary>
    [Category("images")]
    public int Width { get; set; } = DefaultImageSize;

    /// <summary>Height of the network's input, in pixels. Default 36.</summary>
    [Category("images")]
    public int Height { get; set; } = DefaultImageSize;

    /// <summary>How a picture of another aspect ratio is brought to <see cref="Width"/>×<see cref="Height"/>. Default: stretch.</summary>
    [Category("images")]
    public ImageResizeMode Resize { get; set; } = DefaultResize;

    /// <summary>Colour (three channels) or grey (one); Auto decides from the training images. Default: auto.</summary>
    [Category("images")]
    public ImageColorMode ColorMode { get; set; } = DefaultColorMode;

    /// <summary>
    /// What transparent pixels are composited on, and what fills the margins under <see cref="ImageResizeMode.Pad"/>.
    /// Must be opaque. Default white.
    /// </summary>
    [Category("images")]
    public Color Background { get; set; } = DefaultBackground;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting that is out of range.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(InputColumnName))
            throw new ArgumentException("InputColumnName is empty; name the text column that holds the image paths.", nameof(InputColumnName));
        if (string.IsNullOrWhiteSpace(OutputColumnName))
            throw new ArgumentException("OutputColumnName is empty; name the column to make (the network reads \"Features\" by default).", nameof(OutputColumnName));
        if (Width is < 1 or > MaxImageSize)
            throw new ArgumentOutOfRangeException(nameof(Width), Width, $"Width must be 1 to {MaxImageSize} pixels.");
        if (Height is < 1 or > MaxImageSize)
            throw new ArgumentOutOfRangeException(nameof(Height), Height, $"Height must be 1 to {MaxImageSize} pixels.");
        if (!Enum.IsDefined(Resize))
            throw new ArgumentOutOfRangeException(nameof(Resize), Resize, "Not a resize mode: Stretch, CenterCrop or Pad.");
        if (!Enum.IsDefined(ColorMode))
            throw new ArgumentOutOfRangeException(nameof(ColorMode), ColorMode, "Not a colour mode: Auto, Color or Grayscale.");
        if (Background.A != 255)
            throw new ArgumentOutOfRangeException(nameof(Background), Background, $"Background must be opaque (alpha 255); it has alpha {Background.A}.");
    }
}
