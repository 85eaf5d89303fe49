namespace MlNetCnn.Data;

/// <summary>
/// Random resized crops, horizontal flips and pad-and-crop shifts, applied in place to a batch of C×H×W images, in that
/// order. Training only.
/// </summary>
internal sealed class Augmenter
{
    // The crop's aspect ratio, width over height, is drawn log-uniformly between these (torchvision's RandomResizedCrop).
    private const double MinAspect = 3.0 / 4, MaxAspect = 4.0 / 3;

    private readonly bool flip;
    private readonly int shift;
    private readonly double cropScale;
    private float[] scratch = Array.Empty<float>();

    /// <param name="flip">Mirror left–right with probability ½.</param>
    /// <param name="shift">Shift by up to this many pixels each way (zeros fill in).</param>
    /// <param name="cropScale">The smallest share of the area a random resized crop keeps; 1 for no crop.</param>
    public Augmenter(bool flip, int shift, double cropScale = 1)
    {
        this.flip = flip;
        this.shift = shift;
        this.cropScale = cropScale;
    }

    /// <summary>Whether this augmenter changes anything.</summary>
    public bool Enabled => flip || shift > 0 || cropScale < 1;

    /// <summary>Augments each of the <paramref name="count"/> images in <paramref name="batch"/>, drawing from <paramref name="random"/>.</summary>
    public void Apply(Span<float> batch, int count, ImageGeometry g, Random random)
    {
        if (!Enabled)
            return;
        if (scratch.Length < g.Size)
            scratch = new float[g.Size];
        for (var i = 0; i < count; i++)
        {
            // Drawn only when cropping, so that the flips and shifts of runs without it are drawn as before.
            if (cropScale < 1)
                Crop(batch.Slice(i * g.Size, g.Size), g, random);
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

    /// <summary>
    /// Takes a random part of the image (area share in [cropScale, 1], aspect ratio in [3:4, 4:3], at most the whole
    /// side) and stretches it back over the whole image, sampling bilinearly at pixel centres.
    /// </summary>
    private void Crop(Span<float> image, ImageGeometry g, Random random)
    {
        var area = cropScale + (1 - cropScale) * random.NextDouble();
        var aspect = Math.Exp(Math.Log(MinAspect) + (Math.Log(MaxAspect) - Math.Log(MinAspect)) * random.NextDouble());
        var w = Math.Min(g.Width, Math.Sqrt(area * aspect) * g.Width);
        var h = Math.Min(g.Height, Math.Sqrt(area / aspect) * g.Height);
        var left = (g.Width - w) * random.NextDouble();
        var top = (g.Height - h) * random.NextDouble();
        var source = scratch.AsSpan(0, g.Size);
        image.CopyTo(source);
        var sx = w / g.Width;
        var sy = h / g.Height;
        for (var c = 0; c < g.Channels; c++)
        {
            var plane = c * g.Height * g.Width;
            for (var y = 0; y < g.Height; y++)
            {
                var fy = Math.Clamp(top + (y + 0.5) * sy - 0.5, 0, g.Height - 1);
                var y0 = (int)fy;
                var y1 = Math.Min(y0 + 1, g.Height - 1);
                var ty = (float)(fy - y0);
                for (var x = 0; x < g.Width; x++)
                {
                    var fx = Math.Clamp(left + (x + 0.5) * sx - 0.5, 0, g.Width - 1);
                    var x0 = (int)fx;
                    var x1 = Math.Min(x0 + 1, g.Width - 1);
                    var tx = (float)(fx - x0);
                    var top0 = source[plane + y0 * g.Width + x0] * (1 - tx) + source[plane + y0 * g.Width + x1] * tx;
                    var bottom = source[plane + y1 * g.Width + x0] * (1 - tx) + source[plane + y1 * g.Width + x1] * tx;
                    image[plane + y * g.Width + x] = top0 * (1 - ty) + bottom * ty;
                }
            }
        }
    }
}
