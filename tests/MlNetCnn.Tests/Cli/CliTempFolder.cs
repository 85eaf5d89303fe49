namespace MlNetCnn.Tests.Cli;

/// <summary>A fresh folder under the temporary folder, deleted with everything in it on dispose.</summary>
public sealed class CliTempFolder : IDisposable
{
    /// <summary>Creates the folder.</summary>
    public CliTempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "mlnetcnn-cli-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    /// <summary>Full path of the folder.</summary>
    public string Path { get; }

    /// <summary>A path inside the folder.</summary>
    public string this[string relative] => System.IO.Path.Combine(Path, relative);

    /// <summary>Deletes the folder.</summary>
    public void Dispose()
    {
        if (Directory.Exists(Path))
            Directory.Delete(Path, recursive: true);
    }
}
