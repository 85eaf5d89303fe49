using MlNetCnn.Data;

namespace MlNetCnn.Tests.Data;

public sealed class AugmenterTests
{
    private static readonly ImageGeometry Geometry = new(2, 3, 4);

    private static float[] Image() => Enumerable.Range(1, Geometry.Size).Select(i => (float)i).ToArray();

    private static float At(float[] image, int c, int y, int x) => image[c * 12 + y * 4 + x];

    /// <summary>A Random whose draws are scripted: Next(2) for the flip, then Next(-s, s+1) for dx and dy.</summary>
    private sealed class Scripted : Random
    {
        private readonly Queue<int> values;
        public Scripted(params int[] values) => this.values = new Queue<int>(values);
        public override int Next(int maxValue) => values.Dequeue();
        public override int Next(int minValue, int maxValue) => values.Dequeue();
    }

    [Fact]
    public void A_flip_mirrors_every_channel_left_to_right()
    {
        var image = Image();
        new Augmenter(flip: true, shift: 0).Apply(image, 1, Geometry, new Scripted(1));

        var original = Image();
        for (var c = 0; c < 2; c++)
        for (var y = 0; y < 3; y++)
        for (var x = 0; x < 4; x++)
            Assert.Equal(At(original, c, y, x), At(image, c, y, 3 - x));
    }

    [Fact]
    public void A_shift_moves_the_image_and_fills_with_zeros()
    {
        var image = Image();
        new Augmenter(flip: false, shift: 1).Apply(image, 1, Geometry, new Scripted(1, -1)); // dx = +1, dy = -1

        var original = Image();
        for (var c = 0; c < 2; c++)
        for (var y = 0; y < 3; y++)
        for (var x = 0; x < 4; x++)
        {
            var (sy, sx) = (y + 1, x - 1);
            var expected = sy < 3 && sx >= 0 ? At(original, c, sy, sx) : 0f;
            Assert.Equal(expected, At(image, c, y, x));
        }
    }

    [Fact]
    public void Augmentation_is_repeatable_for_a_seed_and_off_by_default()
    {
        var a = Enumerable.Range(0, 8).SelectMany(_ => Image()).ToArray();
        var b = (float[])a.Clone();
        var augmenter = new Augmenter(flip: true, shift: 2);
        augmenter.Apply(a, 8, Geometry, new Random(4));
        augmenter.Apply(b, 8, Geometry, new Random(4));
        Assert.Equal(a, b);
        Assert.NotEqual(Enumerable.Range(0, 8).SelectMany(_ => Image()), a);

        var untouched = Image();
        new Augmenter(flip: false, shift: 0).Apply(untouched, 1, Geometry, new Random(4));
        Assert.Equal(Image(), untouched);
    }
}
