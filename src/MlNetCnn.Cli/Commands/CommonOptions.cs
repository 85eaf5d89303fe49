using System.CommandLine;

namespace MlNetCnn.Cli.Commands;

/// <summary>Options and checks that more than one command shares.</summary>
internal static class CommonOptions
{
    /// <summary><c>--positive NAME</c>: which class subfolder is the positive class.</summary>
    public static Option<string?> Positive() => new("--positive")
    {
        Description = "For a folder of two class subfolders: the name of the positive one (ignored when the folder has labels.csv).",
    };

    /// <summary><c>--skip-bad-images</c>: leave out images that cannot be read instead of stopping at the first.</summary>
    public static Option<bool> SkipBadImages() => new("--skip-bad-images")
    {
        Description = "Leave out images that cannot be read (missing, empty, truncated, not an image) instead of stopping at the first: " +
            "print one warning with how many and why, record each (train, evaluate: in metrics.json; predict: an \"error\" entry or a 'skipped' line) " +
            "and go on with the rest. Still fails when no image is left, or a labelled folder has none left of a class.",
    };

    /// <summary>Throws unless <paramref name="folder"/> is a folder or does not exist yet.</summary>
    public static void CheckOutFolder(string folder)
    {
        if (File.Exists(folder))
            throw new CliException($"--out '{folder}' is a file; it must be a folder (it is created when missing).");
    }
}
