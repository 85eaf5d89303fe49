namespace MlNetCnn.Cli.Data;

/// <summary>
/// The per-file check of the commands that score (evaluate, predict): a scorer maps every row and cannot leave one out,
/// so the files are checked before (<see cref="CnnImageTransformer.CheckImage"/>, the image step's own check). Train
/// has no such check: the library reads its images and says which it left out.
/// </summary>
internal static class ImageCheck
{
    /// <summary>
    /// Why each of <paramref name="paths"/> cannot be read, naming it (null for one that can). Without
    /// <paramref name="skip"/>, the first that cannot stops the command with that reason.
    /// </summary>
    public static string?[] Reasons(IReadOnlyList<string> paths, bool skip)
    {
        var reasons = new string?[paths.Count];
        for (var i = 0; i < paths.Count; i++)
        {
            reasons[i] = CnnImageTransformer.CheckImage(paths[i]);
            if (reasons[i] is { } reason && !skip)
                throw new CliException(reason);
        }
        return reasons;
    }
}
