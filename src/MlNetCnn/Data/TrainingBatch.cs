namespace MlNetCnn.Data;

/// <summary>One training step's rows: <see cref="Count"/> images and their 0/1 targets, in slices of shared buffers.</summary>
internal readonly record struct TrainingBatch(float[] Pixels, int PixelOffset, float[] Targets, int TargetOffset, int Count, int ImageSize)
{
    /// <summary>The images, C×H×W each, one after another.</summary>
    public Span<float> Images => Pixels.AsSpan(PixelOffset, Count * ImageSize);

    /// <summary>1 for a positive row, 0 for a negative one.</summary>
    public ReadOnlySpan<float> Labels => Targets.AsSpan(TargetOffset, Count);
}
