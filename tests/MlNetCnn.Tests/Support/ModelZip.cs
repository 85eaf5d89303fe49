using System.IO.Compression;
using System.Text;

namespace MlNetCnn.Tests.Support;

/// <summary>Edits the entries of a saved model zip, to build damaged or future models.</summary>
public static class ModelZip
{
    public static string[] Entries(string path)
    {
        using var zip = ZipFile.OpenRead(path);
        return zip.Entries.Select(e => e.FullName).ToArray();
    }

    public static void RemoveEntries(string path, Func<string, bool> which)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Update);
        foreach (var entry in zip.Entries.Where(e => which(e.FullName)).ToList())
            entry.Delete();
    }

    /// <summary>Rewrites the model-version fields that follow the 8-byte model signature in the entry that holds it.</summary>
    public static void SetModelVersion(string path, string modelSignature, uint written, uint readable)
    {
        var signature = Encoding.ASCII.GetBytes(modelSignature);
        using var zip = ZipFile.Open(path, ZipArchiveMode.Update);
        foreach (var entry in zip.Entries.ToList())
        {
            byte[] bytes;
            using (var stream = entry.Open())
            using (var memory = new MemoryStream())
            {
                stream.CopyTo(memory);
                bytes = memory.ToArray();
            }
            var at = bytes.AsSpan().IndexOf(signature);
            if (at < 0)
                continue;
            BitConverter.TryWriteBytes(bytes.AsSpan(at + 8, 4), written);
            BitConverter.TryWriteBytes(bytes.AsSpan(at + 12, 4), readable);
            var name = entry.FullName;
            entry.Delete();
            using var rewritten = zip.CreateEntry(name).Open();
            rewritten.Write(bytes);
            return;
        }
        throw new InvalidOperationException($"No entry of {path} holds the model signature {modelSignature}.");
    }
}
