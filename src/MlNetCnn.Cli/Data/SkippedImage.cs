namespace MlNetCnn.Cli.Data;

/// <summary>An image left out under <c>--skip-bad-images</c>: its path and the error that would have stopped the command without it.</summary>
/// <param name="Path">Full path of the image (for a labels.csv row, the path the row names).</param>
/// <param name="Reason">The error message the image would have stopped the command with; it names the file.</param>
internal sealed record SkippedImage(string Path, string Reason);
