namespace MlNetCnn;

/// <summary>Which colour channels <see cref="CnnImageEstimator"/> gives the network.</summary>
public enum ImageColorMode
{
    /// <summary>
    /// Decided when the estimator is fitted: colour (three channels) when any training image is in colour, else grey
    /// (one channel). An image counts as colour when more than 1% of its pixels differ between channels by more than
    /// 8 of 255 levels, so grey pictures saved as RGB or as JPEG stay grey.
    /// </summary>
    Auto,

    /// <summary>Three channels, red, green and blue, in that order.</summary>
    Color,

    /// <summary>One channel: luma, 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601).</summary>
    Grayscale,
}
