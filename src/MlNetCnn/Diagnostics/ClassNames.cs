namespace MlNetCnn.Diagnostics;

/// <summary>What the two labels stand for: <paramref name="Positive"/> for true, <paramref name="Negative"/> for false.</summary>
/// <param name="Positive">The positive class's name.</param>
/// <param name="Negative">The negative class's name.</param>
internal sealed record ClassNames(string Positive, string Negative)
{
    /// <summary>The names <paramref name="options"/> give; null when they give none.</summary>
    public static ClassNames? From(CnnOptions options) =>
        options.PositiveClassName is { } positive && options.NegativeClassName is { } negative ? new ClassNames(positive, negative) : null;
}
