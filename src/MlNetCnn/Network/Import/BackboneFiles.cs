namespace MlNetCnn.Network.Import;

/// <summary>
/// Where a pretrained backbone's file is, offline: ML.NET's ResNet18 comes in the NuGet package
/// Microsoft.ML.DnnImageFeaturizer.ResNet18, whose <c>build/netstandard2.0/*.props</c> copies
/// <c>tools/DnnImageModels/**</c> into the output folder of a project that references it directly (a build asset:
/// a project that only references such a project does not get the copy); the file also stays in the NuGet
/// global packages folder after restore.
/// </summary>
internal static class BackboneFiles
{
    /// <summary>The NuGet package that holds ResNet18.onnx.</summary>
    public const string ResNet18Package = "Microsoft.ML.DnnImageFeaturizer.ResNet18";

    /// <summary>The package's release for ML.NET 5 (0.24.0 asks for ML.NET 6; both hold the same file).</summary>
    public const string ResNet18PackageVersion = "0.23.1";

    /// <summary>The folder the package's build step copies into the output folder.</summary>
    public const string ModelsFolder = "DnnImageModels";

    /// <summary>ResNet18.onnx under <see cref="ModelsFolder"/>.</summary>
    public static readonly string ResNet18File = Path.Combine("ResNet18Onnx", "ResNet18.onnx");

    /// <summary>The preprocessing model under <see cref="ModelsFolder"/>.</summary>
    public static readonly string PreprocessFile = Path.Combine("ResNetPrepOnnx", "ResNetPreprocess.onnx");

    /// <summary>
    /// Every place looked in, in order: <paramref name="baseDirectory"/>/DnnImageModels (the app's output folder), then
    /// each version of the package, newest first, in <paramref name="nugetPackages"/> ($NUGET_PACKAGES) and in
    /// <paramref name="home"/>/.nuget/packages. A packages folder without the package is listed with a
    /// <c>&lt;version&gt;</c> placeholder.
    /// </summary>
    public static IReadOnlyList<string> ResNet18Candidates(string baseDirectory, string? nugetPackages, string? home)
    {
        var candidates = new List<string> { Path.Combine(baseDirectory, ModelsFolder, ResNet18File) };
        var roots = new[] { nugetPackages, string.IsNullOrEmpty(home) ? null : Path.Combine(home, ".nuget", "packages") }
            .Where(r => !string.IsNullOrEmpty(r)).Select(r => Path.GetFullPath(r!)).Distinct(StringComparer.Ordinal);
        foreach (var root in roots)
        {
            var package = Path.Combine(root, ResNet18Package.ToLowerInvariant());
            var versions = Directory.Exists(package)
                ? Directory.GetDirectories(package).Select(Path.GetFileName).OfType<string>().OrderByDescending(VersionKey).ToArray()
                : Array.Empty<string>();
            if (versions.Length == 0)
                versions = new[] { "<version>" };
            candidates.AddRange(versions.Select(v => Path.Combine(package, v, "tools", ModelsFolder, ResNet18File)));
        }
        return candidates;
    }

    /// <summary>The first of <see cref="ResNet18Candidates"/> that exists.</summary>
    /// <exception cref="FileNotFoundException">None does; the message names the package to add and every path looked in.</exception>
    public static string FindResNet18(string baseDirectory, string? nugetPackages, string? home)
    {
        var candidates = ResNet18Candidates(baseDirectory, nugetPackages, home);
        return candidates.FirstOrDefault(File.Exists) ?? throw new FileNotFoundException(
            $"ResNet18.onnx was not found. Add the NuGet package {ResNet18Package} to the app " +
            $"(dotnet add package {ResNet18Package} --version {ResNet18PackageVersion}, the release for ML.NET 5): its build step copies " +
            $"{ModelsFolder}/ into the output folder. Or pass the file's path to PretrainedBackbone.ResNet18(path). Looked in: {string.Join("; ", candidates)}.",
            candidates[0]);
    }

    /// <summary>ResNetPreprocess.onnx where the package puts it beside <paramref name="resNet18"/>, or null.</summary>
    public static string? PreprocessBeside(string resNet18)
    {
        var models = Path.GetDirectoryName(Path.GetDirectoryName(Path.GetFullPath(resNet18)));
        var path = models is null ? null : Path.Combine(models, PreprocessFile);
        return path is not null && File.Exists(path) ? path : null;
    }

    /// <summary>ResNet18.onnx in <paramref name="folder"/>: the folder of the file itself, a DnnImageModels folder, or one that holds DnnImageModels.</summary>
    public static string? InFolder(string folder) =>
        new[] { Path.Combine(folder, "ResNet18.onnx"), Path.Combine(folder, ResNet18File), Path.Combine(folder, ModelsFolder, ResNet18File) }
            .FirstOrDefault(File.Exists);

    /// <summary>Orders NuGet version folders: numeric parts first, a release above its prereleases.</summary>
    private static (Version, bool) VersionKey(string folder)
    {
        var dash = folder.IndexOf('-');
        var release = dash < 0 ? folder : folder[..dash];
        return (Version.TryParse(release, out var version) ? version : new Version(0, 0), dash < 0);
    }
}
