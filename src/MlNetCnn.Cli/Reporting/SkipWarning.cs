using System.Globalization;
using MlNetCnn.Cli.Data;

namespace MlNetCnn.Cli.Reporting;

/// <summary>The one warning line a command prints on standard error when <c>--skip-bad-images</c> left images out.</summary>
internal static class SkipWarning
{
    /// <summary>Skipped images named in the line, with their reasons; the rest are counted (every one is in the command's output).</summary>
    public const int Named = 3;

    /// <summary>
    /// Writes <c>mlnetcnn: warning: skipped N of M &lt;what&gt; that cannot be read: …</c> to <paramref name="error"/>, unless
    /// <paramref name="skipped"/> is empty. <paramref name="what"/> names the images (e.g. "training images");
    /// <paramref name="listedIn"/> says where all of them are listed.
    /// </summary>
    public static void Write(TextWriter error, IReadOnlyList<SkippedImage> skipped, int total, string what, string listedIn)
    {
        if (skipped.Count == 0)
            return;
        var named = string.Join(" ", skipped.Take(Named).Select(s => OneLine(s.Reason)));
        var rest = skipped.Count > Named
            ? string.Create(CultureInfo.InvariantCulture, $" … and {skipped.Count - Named} more ({listedIn}).")
            : "";
        error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"mlnetcnn: warning: skipped {skipped.Count} of {total} {what} that cannot be read: {named}{rest}"));
    }

    private static string OneLine(string text) =>
        string.Join(" ", text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
