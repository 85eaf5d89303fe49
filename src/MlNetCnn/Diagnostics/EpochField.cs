using System.Globalization;

namespace MlNetCnn.Diagnostics;

/// <summary>One figure of an <see cref="EpochRecord"/> (see <see cref="EpochRecord.Fields"/>).</summary>
/// <param name="Key">Its name in metrics files, camelCase.</param>
/// <param name="Name">Its name in prose.</param>
/// <param name="ShortName">Its name as a table column.</param>
/// <param name="Value">The figure, or null when the epoch did not measure it.</param>
/// <param name="Format">The .NET format it is shown with (invariant culture).</param>
public sealed record EpochField(string Key, string Name, string ShortName, double? Value, string Format)
{
    /// <summary>The value as shown ("–" when there is none).</summary>
    public string Text => Value is { } v ? v.ToString(Format, CultureInfo.InvariantCulture) : "–";
}
