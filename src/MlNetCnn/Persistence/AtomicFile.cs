namespace MlNetCnn.Persistence;

/// <summary>Writes a file whole or not at all: into a temporary file beside it, then renamed over it.</summary>
internal static class AtomicFile
{
    /// <summary>Runs <paramref name="write"/> on a temporary file in the target's folder, then renames it to <paramref name="path"/>; on failure nothing is left.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full)
            ?? throw new ArgumentException($"'{path}' names no file.", nameof(path));
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"Cannot write '{full}': the folder '{folder}' does not exist.");
        // Same folder, so the rename stays on one file system and is atomic there.
        var temporary = Path.Combine(folder, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary))
                File.Delete(temporary);
        }
    }
}
