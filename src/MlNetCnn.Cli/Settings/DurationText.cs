using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace MlNetCnn.Cli.Settings;

/// <summary>
/// Durations as people write them: <c>90s</c>, <c>2m</c>, <c>1m30s</c>, <c>1h</c>, <c>2.5m</c>, a bare number of
/// seconds, or .NET's <c>00:02:00</c>; and back, for the summary line (<c>1 min 58 s</c>) and for config files and
/// <c>--help</c> (<c>2m</c>). A <see cref="TimeSpan"/> setting is written this way (<see cref="ValueForm"/>).
/// </summary>
internal static partial class DurationText
{
    /// <summary>The duration <paramref name="text"/> says; null when it is not one.</summary>
    public static TimeSpan? TryParse(string? text)
    {
        var t = text?.Trim() ?? "";
        if (t.Length == 0)
            return null;
        if (double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var bare))
            return double.IsFinite(bare) ? TimeSpan.FromSeconds(bare) : null;
        if (t.Contains(':') && TimeSpan.TryParse(t, CultureInfo.InvariantCulture, out var clock))
            return clock;
        var match = Parts().Match(t);
        if (!match.Success)
            return null;
        double seconds = 0;
        foreach (Capture part in match.Groups["part"].Captures)
        {
            var unit = Unit().Match(part.Value);
            var value = double.Parse(unit.Groups["value"].Value, CultureInfo.InvariantCulture);
            seconds += value * (unit.Groups["unit"].Value.ToLowerInvariant() switch
            {
                "h" => 3600,
                "m" or "min" => 60,
                _ => 1,
            });
        }
        return TimeSpan.FromSeconds(seconds);
    }

    /// <summary>What is wrong with <paramref name="text"/> given to <paramref name="flag"/>.</summary>
    public static string NotADuration(string flag, string text) => $"{flag} '{text}' is not a duration: give e.g. 90s, 2m or 1m30s.";

    /// <summary>For people: <c>6.6 s</c> under a minute, else <c>1 min 58 s</c>, <c>2 min</c>, <c>1 h 5 min</c>.</summary>
    public static string Describe(TimeSpan time)
    {
        var seconds = time.TotalSeconds;
        if (seconds < 59.95)
            return seconds.ToString(seconds < 10 ? "0.0" : "0", CultureInfo.InvariantCulture) + " s";
        var whole = (long)Math.Round(seconds);
        var (h, m, s) = (whole / 3600, whole / 60 % 60, whole % 60);
        var text = new StringBuilder();
        if (h > 0) text.Append(CultureInfo.InvariantCulture, $"{h} h ");
        if (m > 0) text.Append(CultureInfo.InvariantCulture, $"{m} min ");
        if (s > 0 && h == 0) text.Append(CultureInfo.InvariantCulture, $"{s} s ");
        return text.ToString().TrimEnd();
    }

    /// <summary>For settings files, in a form <see cref="TryParse"/> reads: <c>2m</c>, <c>1m30s</c>, <c>90.5s</c>.</summary>
    public static string Compact(TimeSpan time)
    {
        var seconds = time.TotalSeconds;
        var (h, m) = ((long)(seconds / 3600), (long)(seconds / 60 % 60));
        var rest = seconds - h * 3600 - m * 60;
        var text = new StringBuilder();
        if (h > 0) text.Append(CultureInfo.InvariantCulture, $"{h}h");
        if (m > 0) text.Append(CultureInfo.InvariantCulture, $"{m}m");
        if (rest > 0 || text.Length == 0) text.Append(rest.ToString("0.###", CultureInfo.InvariantCulture)).Append('s');
        return text.ToString();
    }

    [GeneratedRegex(@"^(?<part>\d+(?:\.\d+)?\s*(?:h|min|m|s|sec)\s*)+$", RegexOptions.IgnoreCase)]
    private static partial Regex Parts();

    [GeneratedRegex(@"(?<value>\d+(?:\.\d+)?)\s*(?<unit>h|min|m|sec|s)", RegexOptions.IgnoreCase)]
    private static partial Regex Unit();
}
