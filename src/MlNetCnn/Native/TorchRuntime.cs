using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using TorchSharp;
using MlNetCnn.Precisions;

namespace MlNetCnn.Native;

/// <summary>
/// Makes TorchSharp's native library load on this platform, for every program that uses MlNetCnn.
/// </summary>
/// <remarks>
/// TorchSharp 0.107's <c>libLibTorchSharp.so</c> was linked by GCC 13 and asks for <c>GLIBCXX_3.4.32</c> only for a
/// link marker (see <see cref="ElfVersionPatcher"/>). Where the library as shipped does not load, a copy with that
/// requirement made weak is written to a cache folder and handed to TorchSharp through a DllImport resolver. The
/// shipped files and the system are never changed.
/// </remarks>
public static class TorchRuntime
{
    private const string BridgeName = "LibTorchSharp";
    private const string BridgeFile = "libLibTorchSharp.so";
    // libtorch's own libraries, in dependency order; the patched bridge sits in another folder, so its RUNPATH
    // ($ORIGIN) no longer finds them and they are loaded by full path first.
    private static readonly string[] TorchLibraries = { "libc10.so", "libtorch_cpu.so", "libtorch.so" };

    private static readonly Lazy<IntPtr> BridgeHandle = new(LoadBridge, LazyThreadSafetyMode.ExecutionAndPublication);
    private static int registered;

    /// <summary>
    /// Where patched native libraries are cached, in the order tried: <c>$MLNETCNN_NATIVE_CACHE</c> when set, then
    /// <c>$XDG_CACHE_HOME/mlnetcnn/native</c>, <c>~/.cache/mlnetcnn/native</c>, and the temporary folder
    /// (<c>$TMPDIR</c> or /tmp) <c>/mlnetcnn-native-USER</c>. The first that can be written is used.
    /// </summary>
    public static IReadOnlyList<string> CacheFolders
    {
        get
        {
            var folders = new List<string>();
            if (Environment.GetEnvironmentVariable("MLNETCNN_NATIVE_CACHE") is { Length: > 0 } configured)
                folders.Add(configured);
            if (Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg)
                folders.Add(Path.Combine(xdg, "mlnetcnn", "native"));
            if (Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) is { Length: > 0 } home)
                folders.Add(Path.Combine(home, ".cache", "mlnetcnn", "native"));
            folders.Add(Path.Combine(Path.GetTempPath(), $"mlnetcnn-native-{Environment.UserName}"));
            return folders.Distinct().ToArray();
        }
    }

    /// <summary>The first of <see cref="CacheFolders"/>: where a patched copy goes when that folder can be written.</summary>
    public static string CacheFolder => CacheFolders[0];

    /// <summary>Loads TorchSharp's native libraries now, so that a failure is reported here with its cause.</summary>
    /// <exception cref="InvalidOperationException">The native libraries cannot be loaded; the message says why.</exception>
    public static void EnsureLoaded()
    {
        Register();
        try
        {
            // TorchSharp's own loader probes by name and by file (NativeLibrary.TryLoad), which bypasses the
            // resolver; once the bridge is loaded under its soname, those probes find it.
            if (OperatingSystem.IsLinux())
                _ = BridgeHandle.Value;
            _ = torch.get_num_threads();
        }
        catch (Exception e) when (e is TypeInitializationException or DllNotFoundException or NotSupportedException or InvalidDataException or IOException or UnauthorizedAccessException)
        {
            var cause = e.InnerException ?? e;
            throw new InvalidOperationException($"TorchSharp's native library could not be loaded: {cause.Message}", cause);
        }
    }

    /// <summary>
    /// Lets oneDNN use its bfloat16 kernels in a process where MlNetCnn keeps it at AVX2 (Linux machines that hide their
    /// cache sizes, such as some virtual machines), so that <see cref="Precision.BFloat16"/> and <see cref="Precision.Auto"/>
    /// run on the CPU's bfloat16 instructions. oneDNN fixes its cap at its first kernel: call this before the process's
    /// first Fit, FindLearningRate or LibTorch scoring. (A first Fit that asks for BFloat16 or Auto lifts it by itself;
    /// call this where something else runs a network first.) From then on, every Fit of the built-in network also checks its
    /// float32 layers against float64 (on such a machine the lifted level's float32 kernels compute some channel counts
    /// wrong), and a custom network, whose layers cannot be checked, is refused.
    /// </summary>
    /// <returns>
    /// True when MlNetCnn's cap is lifted (by this call or an earlier one); false when there is none of MlNetCnn's to lift
    /// (the machine shows its cache sizes, or the process set <c>ONEDNN_MAX_CPU_ISA</c> itself) or the CPU has no
    /// bfloat16 instructions.
    /// </returns>
    /// <exception cref="InvalidOperationException">MlNetCnn has already run a network in this process, under the cap.</exception>
    public static bool AllowBFloat16Kernels()
    {
        Register();
        return OneDnnGuard.Lift(BFloat16Support.CpuHasBFloat16());
    }

    /// <summary>Installs the resolver; runs when the MlNetCnn assembly loads, before any TorchSharp call.</summary>
    [ModuleInitializer]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2255", Justification = "The resolver must be in place before any consumer's first TorchSharp call.")]
    internal static void Register()
    {
        if (!OperatingSystem.IsLinux() || Interlocked.Exchange(ref registered, 1) == 1)
            return;
        OneDnnGuard.Apply();
        // libtorch's OpenMP threads otherwise spin between parallel regions: beside another busy process a
        // single-row prediction took 156–250 ms instead of 2. libgomp reads this once, when libtorch loads.
        NativeEnvironment.SetDefault("OMP_WAIT_POLICY", "PASSIVE");
        try
        {
            NativeLibrary.SetDllImportResolver(typeof(torch).Assembly, Resolve);
        }
        catch (InvalidOperationException)
        {
            // Another component installed its own resolver for TorchSharp; it is in charge of loading.
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath) =>
        name == BridgeName ? BridgeHandle.Value : IntPtr.Zero;

    private static IntPtr LoadBridge()
    {
        var original = FindNative(BridgeFile)
            ?? throw new DllNotFoundException($"{BridgeFile} was not found beside the application or in its probing paths; is the TorchSharp-cpu package referenced?");
        if (NativeLibrary.TryLoad(original, out var handle))
            return handle;

        // The library as shipped does not load: most likely the GLIBCXX marker. Load libtorch first, then a patched copy.
        foreach (var library in TorchLibraries)
        {
            var path = FindNative(library)
                ?? throw new DllNotFoundException($"{library} was not found beside the application or in its probing paths; is the TorchSharp-cpu package referenced?");
            NativeLibrary.Load(path);
        }
        var patched = PatchedCopy(original);
        try
        {
            return NativeLibrary.Load(patched);
        }
        catch (DllNotFoundException e)
        {
            throw new DllNotFoundException($"{BridgeFile} does not load even with its GLIBCXX link marker made weak ({patched}): {e.Message}", e);
        }
    }

    /// <summary>Writes (once) and returns a copy of <paramref name="original"/> with marker-only versions weakened.</summary>
    private static string PatchedCopy(string original)
    {
        var bytes = File.ReadAllBytes(original);
        var key = Convert.ToHexString(SHA256.HashData(bytes))[..16].ToLowerInvariant();
        var weakened = ElfVersionPatcher.WeakenMarkerOnlyVersions(bytes);
        if (weakened.Count == 0)
            throw new DllNotFoundException($"{original} does not load, and it has no link-marker version requirement to relax.");

        return WriteToFirstWritable(CacheFolders, key, bytes);
    }

    /// <summary>
    /// Writes <paramref name="bytes"/> as <c>KEY/libLibTorchSharp.so</c> under the first of <paramref name="folders"/>
    /// that can be written (or finds it there already), and returns its path; names every folder tried when none can.
    /// </summary>
    internal static string WriteToFirstWritable(IReadOnlyList<string> folders, string key, byte[] bytes)
    {
        var failures = new List<string>();
        foreach (var cache in folders)
        {
            var folder = Path.Combine(cache, key);
            var target = Path.Combine(folder, BridgeFile);
            try
            {
                if (File.Exists(target) && File.ReadAllBytes(target).AsSpan().SequenceEqual(bytes))
                    return target;
                Directory.CreateDirectory(folder);
                // Write beside, then rename: a concurrent process never sees a half-written library.
                var temp = Path.Combine(folder, $"{BridgeFile}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
                File.WriteAllBytes(temp, bytes);
                File.Move(temp, target, overwrite: true);
                return target;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
            {
                failures.Add($"{folder} ({e.Message})");
            }
        }
        throw new IOException(
            $"No folder could hold the patched copy of {BridgeFile}; tried {string.Join("; ", failures)}. " +
            "Set MLNETCNN_NATIVE_CACHE to a writable folder.");
    }

    private static string? FindNative(string fileName)
    {
        foreach (var folder in ProbingFolders())
        {
            var candidate = Path.Combine(folder, fileName);
            if (File.Exists(candidate))
                return candidate;
        }
        return null;
    }

    private static IEnumerable<string> ProbingFolders()
    {
        var rid = RuntimeInformation.RuntimeIdentifier.StartsWith("linux-", StringComparison.Ordinal) ? RuntimeInformation.RuntimeIdentifier : "linux-x64";
        var nativeSubfolder = Path.Combine("runtimes", rid, "native");
        var bases = new List<string> { AppContext.BaseDirectory };
        if (Path.GetDirectoryName(typeof(torch).Assembly.Location) is { Length: > 0 } torchFolder)
            bases.Add(torchFolder);
        foreach (var folder in bases)
        {
            yield return folder;
            yield return Path.Combine(folder, nativeSubfolder);
            yield return Path.Combine(folder, "runtimes", "linux-x64", "native");
        }
        // The host's probing paths: NuGet package folders when running from a build, via deps.json.
        if (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") is string searchDirectories)
        {
            foreach (var folder in searchDirectories.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
                yield return folder;
        }
    }
}
