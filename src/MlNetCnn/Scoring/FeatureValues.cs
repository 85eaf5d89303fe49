using Microsoft.ML.Data;

namespace MlNetCnn.Scoring;

/// <summary>The one check-and-copy of a row's feature values that every scoring path makes before the network runs.</summary>
internal static class FeatureValues
{
    /// <summary>Copies <paramref name="buffer"/> into <paramref name="destination"/>; a row of another size is an error naming it.</summary>
    public static void CopyChecked(in VBuffer<float> buffer, Span<float> destination, long position, ImageGeometry geometry)
    {
        if (buffer.Length != geometry.Size)
            throw new InvalidOperationException($"Row {position} has {buffer.Length} feature values; the model needs {geometry.Size} ({geometry}).");
        buffer.CopyTo(destination);
    }
}
