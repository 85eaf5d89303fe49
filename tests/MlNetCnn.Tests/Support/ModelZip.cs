using System.IO.Compression;
using System.Text;
using MlNetCnn.Diagnostics;
using MlNetCnn.Persistence;

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

    /// <summary>
    /// Rewrites the model-version fields that follow the 8-byte model signature in the entry that holds it. Marked as a
    /// CNN format before 0x0001000C, the run's report goes back where that format kept it (<see cref="AsBeforeTheReport"/>).
    /// </summary>
    public static void SetModelVersion(string path, string modelSignature, uint written, uint readable)
    {
        if (modelSignature == CnnModelFormat.ModelSignature && written < 0x0001000C && Entries(path).Any(e => e.EndsWith(CnnModelFormat.ReportStream, StringComparison.Ordinal)))
            AsBeforeTheReport(path);
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

    /// <summary>
    /// Moves a CNN model's stream CnnReport back into the streams formats before 0x0001000C kept it in: CnnHistory (the
    /// history, then the learning-rate search) and CnnUnreadable (the rows left out); the precision's reason is dropped.
    /// </summary>
    public static void AsBeforeTheReport(string path)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Update);
        var entry = zip.Entries.Single(e => e.FullName.EndsWith(CnnModelFormat.ReportStream, StringComparison.Ordinal));
        var folder = entry.FullName[..^CnnModelFormat.ReportStream.Length];
        TrainingReport report;
        using (var stream = entry.Open())
        using (var memory = new MemoryStream())
        {
            stream.CopyTo(memory);
            memory.Position = 0;
            report = ReportFormat.Read(new BinaryReader(memory), 0, Precision.Float32);
        }
        entry.Delete();
        using (var writer = new BinaryWriter(zip.CreateEntry(folder + CnnModelFormat.HistoryStream).Open()))
        {
            HistoryFormat.Write(writer, report.History, report.CountWithoutRows);
            HistoryFormat.WriteSearch(writer, report.LearningRateSearch);
        }
        using (var writer = new BinaryWriter(zip.CreateEntry(folder + CnnModelFormat.UnreadableStream).Open()))
            HistoryFormat.WriteUnreadable(writer, report.UnreadableRows);
    }
}
