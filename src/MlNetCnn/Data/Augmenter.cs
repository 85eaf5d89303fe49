namespace MlNetCnn.Data;

/// <summary>Random horizontal flips and pad-and-crop shifts, applied in place to a batch of C×H×W images. Training only.</summary>
internal sealed class Augmenter
{
    private readonly bool flip;
    private readonly int shift;
    private float[] scratch = Array.Empty<float>();

    public Augmenter(bool flip, int shift)
    {
        this.flip = flip;
        this.shift = shift;
    }

    /// <summary>Whether this augmenter changes anything.</summary>
    public bool Enabled => flip || shift > 0;

    /// <summary>Augments each of the <paramref name="count"/> images in <paramref name="batch"/>, drawing from <paramref name="random"/>.</summary>
    public void Apply(Span<float> batch, int count, ImageGeometry g, Random random)
    {
        if (!Enabled)
            return;
        if (scratch.Length < g.Size)
            scratch = new float[g.Size];
        for (var i = 0; i < count; i++)
        {
            var mirror = flip && random.Next(2) == 1;
            var dx = shift > 0 ? random.Next(-shift, shift + 1) : 0;
            var dy = shift > 0 ? random.Next(-shift, shift + 1) : 0;
            if (mirror || dx != 0 || dy != 0)
                Transform(batch.Slice(i * g.Size, g.Size), g, mirror, dx, dy);
        }
    }

    /// <summary>Output pixel (y, x) takes input pixel (y − dy, x − dx) of the (possibly mirrored) image; outside is zero.</summary>
    private void Transform(Span<float> image, ImageGeometry g, bool mirror, int dx, int dy)
    {
        var source = scratch.AsSpan(0, g.Size);
        image.CopyTo(source);
        for (var c = 0; c < g.Channels; c++)
        {
            var plane = c * g.Height * g.Width;
            for (var y = 0; y < g.Height; y++)
            {
                var sy = y - dy;
                for (var x = 0; x < g.Width; x++)
                {
                    var sx = x - dx;
                    if (mirror) sx = g.Width - 1 - sx;
                    image[plane + y * g.Width + x] = sy >= 0 && sy < g.Height && sx >= 0 && sx < g.Width
                        ? source[plane + sy * g.Width + sx]
                        : 0f;
                }
            }
        }
    }
}
