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

    /// <summary>
    /// Where the stored (compressed) bytes of entry <paramref name="name"/> lie in the zip file <paramref name="zip"/>:
    /// read from the entry's local file header (signature, then the name at offset 30).
    /// </summary>
    public static (int Start, int Length) DataRange(byte[] zip, string name)
    {
        for (var at = NextHeader(zip, 0); at >= 0 && at + 30 <= zip.Length; at = NextHeader(zip, at + 1))
        {
            var nameLength = BitConverter.ToUInt16(zip, at + 26);
            if (Encoding.UTF8.GetString(zip, at + 30, nameLength) != name)
                continue;
            var extraLength = BitConverter.ToUInt16(zip, at + 28);
            return (at + 30 + nameLength + extraLength, checked((int)BitConverter.ToUInt32(zip, at + 18)));
        }
        throw new InvalidOperationException($"The zip has no local header for '{name}'.");
    }

    /// <summary>The offset of the first local file header signature at or after <paramref name="from"/>, or -1.</summary>
    private static int NextHeader(byte[] zip, int from)
    {
        var next = zip.AsSpan(from).IndexOf("PK\u0003\u0004"u8);
        return next < 0 ? -1 : from + next;
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
