using MlNetCnn.Native;
using TorchSharp;

namespace MlNetCnn.Tests.Native;

public sealed class TorchRuntimeTests
{
    private static string ShippedBridge()
    {
        var candidates = new[]
        {
            Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so"),
            Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so"),
        };
        return candidates.First(File.Exists);
    }

    [Fact]
    public void TorchSharp_loads_and_computes()
    {
        TorchRuntime.EnsureLoaded();
        using var a = torch.ones(2, 3);
        using var sum = a.sum();
        Assert.Equal(6f, sum.item<float>());
    }

    [Fact]
    public void The_shipped_bridge_has_exactly_its_link_marker_version_weakened()
    {
        var bytes = File.ReadAllBytes(ShippedBridge());
        var original = (byte[])bytes.Clone();

        var weakened = ElfVersionPatcher.WeakenMarkerOnlyVersions(bytes);

        Assert.Equal(new[] { "GLIBCXX_3.4.32" }, weakened);
        var changed = Enumerable.Range(0, bytes.Length).Where(i => bytes[i] != original[i]).ToList();
        Assert.Single(changed); // one flag byte of one Vernaux entry
        Assert.Empty(ElfVersionPatcher.WeakenMarkerOnlyVersions(bytes)); // already weak: nothing more to do
    }

    [Fact]
    public void The_patcher_weakens_exactly_the_versions_that_only_link_markers_need()
    {
        const string marker = "_ZSt21ios_base_library_initv";
        var elf = TinyElf.Build(
            (marker, "GLIBCXX_3.4.32"),                            // the marker alone: weakened
            ("_ZNSt6thread4joinEv", "GLIBCXX_3.4.29"),             // a called symbol alone: kept
            (marker, "GLIBCXX_3.4.30"), ("_ZNSt6thread6_StateD2Ev", "GLIBCXX_3.4.30")); // the marker and a called symbol: kept
        var bytes = (byte[])elf.Bytes.Clone();

        var weakened = ElfVersionPatcher.WeakenMarkerOnlyVersions(bytes);

        Assert.Equal(new[] { "GLIBCXX_3.4.32" }, weakened);
        var changed = Enumerable.Range(0, bytes.Length).Where(i => bytes[i] != elf.Bytes[i]).ToList();
        Assert.Equal(new[] { elf.FlagsOffset["GLIBCXX_3.4.32"] }, changed); // the low byte of that Vernaux entry's flags
        Assert.Equal(VerFlagWeak, bytes[changed[0]]);
        Assert.Empty(ElfVersionPatcher.WeakenMarkerOnlyVersions(bytes)); // already weak: nothing more to do
    }

    [Fact]
    public void The_patcher_refuses_what_is_not_an_elf_file()
    {
        Assert.Throws<InvalidDataException>(() => ElfVersionPatcher.WeakenMarkerOnlyVersions("not an ELF file at all, padding padding padding padding"u8.ToArray()));
        var elf = TinyElf.Build(("_ZSt21ios_base_library_initv", "GLIBCXX_3.4.32")).Bytes;
        var error = Assert.Throws<InvalidDataException>(() => ElfVersionPatcher.WeakenMarkerOnlyVersions(elf[..^1]));
        Assert.Contains("section header table", error.Message);
        Assert.Throws<InvalidDataException>(() => ElfVersionPatcher.WeakenMarkerOnlyVersions(File.ReadAllBytes(ShippedBridge())[..4096]));
    }

    [Fact]
    public void The_loaded_bridge_is_the_shipped_file_where_libstdcxx_has_the_marker_version_and_the_cached_copy_where_not()
    {
        TorchRuntime.EnsureLoaded();

        // The shipped file still asks for the marker version as a hard requirement: nothing wrote to it.
        Assert.Single(ElfVersionPatcher.WeakenMarkerOnlyVersions(File.ReadAllBytes(ShippedBridge())));
        var mapped = File.ReadAllLines("/proc/self/maps").Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length >= 6).Select(f => f[5]).Distinct().ToArray();
        var bridge = Assert.Single(mapped, m => Path.GetFileName(m) == "libLibTorchSharp.so");
        var libstdcxx = Assert.Single(mapped, m => Path.GetFileName(m).StartsWith("libstdc++.so", StringComparison.Ordinal));
        if (File.ReadAllBytes(libstdcxx).AsSpan().IndexOf("GLIBCXX_3.4.32"u8) >= 0)
        {
            // A libstdc++ new enough for the shipped file: it is what runs, and no copy was needed.
            Assert.Equal(Path.GetFullPath(ShippedBridge()), bridge);
        }
        else
        {
            // Too old (Debian 12 stops at 3.4.30): the copy in the cache runs, with the marker version made weak.
            Assert.StartsWith(Path.GetFullPath(TorchRuntime.CacheFolder) + "/", bridge);
            Assert.Equal(new FileInfo(ShippedBridge()).Length, new FileInfo(bridge).Length);
            Assert.Empty(ElfVersionPatcher.WeakenMarkerOnlyVersions(File.ReadAllBytes(bridge)));
        }
    }

    private const byte VerFlagWeak = 0x2;
}
