namespace MlNetCnn;

/// <summary>The shape of one image as the network sees it: channels × height × width, in ExtractPixels' order.</summary>
/// <param name="Channels">Colour channels (3 for RGB, 1 for grey).</param>
/// <param name="Height">Height in pixels.</param>
/// <param name="Width">Width in pixels.</param>
public readonly record struct ImageGeometry(int Channels, int Height, int Width)
{
    /// <summary>Values per image: <c>Channels × Height × Width</c>.</summary>
    public int Size => Channels * Height * Width;

    /// <inheritdoc />
    public override string ToString() => $"{Channels}×{Height}×{Width}";
}
