namespace MlNetCnn;

/// <summary>How <see cref="CnnImageEstimator"/> brings an image to the network's size.</summary>
public enum ImageResizeMode
{
    /// <summary>Scale each side to the target: the whole picture is kept, its aspect ratio is not.</summary>
    Stretch,

    /// <summary>Scale until the target is covered, keeping the aspect ratio, and cut the centre out: edges are lost.</summary>
    CenterCrop,

    /// <summary>Scale until the picture fits, keeping the aspect ratio, and fill the margins with the background colour.</summary>
    Pad,
}
