namespace MlNetCnn.Cli.Data;

/// <summary>A file (or hidden folder, ending in '/') under a data folder that a command did not use, and why.</summary>
/// <param name="Path">Full path.</param>
/// <param name="Reason">Why it was not used: "not an image", "a hidden folder", "not listed in labels.csv", …</param>
internal sealed record IgnoredFile(string Path, string Reason);
