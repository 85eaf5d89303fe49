namespace MlNetCnn.Persistence;

/// <summary>Writes a file whole or not at all: into a temporary file beside it, then renamed over it (model zips, checkpoints and the CLI's outputs).</summary>
public static class AtomicFile
{
    /// <summary>
    /// Runs <paramref name="write"/> on a temporary file in the target's folder, then renames it to <paramref name="path"/>;
    /// on failure nothing is left. A missing folder is an error unless <paramref name="createFolder"/> (then it is made first).
    /// </summary>
    public static void Write(string path, Action<Stream> write, bool createFolder = false)
    {
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full)
            ?? throw new ArgumentException($"'{path}' names no file.", nameof(path));
        if (createFolder)
            Directory.CreateDirectory(folder);
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

    /// <summary>Writes <paramref name="text"/> as UTF-8 (no byte-order mark) to <paramref name="path"/>, whole or not at all.</summary>
    public static void WriteText(string path, string text, bool createFolder = false) =>
        Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false), leaveOpen: true);
            writer.Write(text);
        }, createFolder);
}
