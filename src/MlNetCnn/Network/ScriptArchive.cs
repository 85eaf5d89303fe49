using static TorchSharp.torch;

namespace MlNetCnn.Network;

/// <summary>Writes a TorchScript module's archive into memory (TorchSharp 0.107 writes it to files only).</summary>
internal static class ScriptArchive
{
    public static byte[] Write(jit.ScriptModule module)
    {
        var path = Path.Combine(Path.GetTempPath(), $"mlnetcnn-{Guid.NewGuid():N}.pt");
        try
        {
            jit.save(module, path);
            return File.ReadAllBytes(path);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
