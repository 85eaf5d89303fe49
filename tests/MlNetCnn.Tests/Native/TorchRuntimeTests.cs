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
    public void The_patcher_refuses_what_is_not_an_elf_file()
    {
        Assert.Throws<InvalidDataException>(() => ElfVersionPatcher.WeakenMarkerOnlyVersions("not an ELF file at all, padding padding padding padding"u8.ToArray()));
        var truncated = File.ReadAllBytes(ShippedBridge())[..4096];
        Assert.Throws<InvalidDataException>(() => ElfVersionPatcher.WeakenMarkerOnlyVersions(truncated));
    }

    [Fact]
    public void The_patched_copy_lives_in_the_cache_folder_and_the_shipped_file_is_untouched()
    {
        TorchRuntime.EnsureLoaded();

        // The shipped file still asks for the marker version as a hard requirement: nothing wrote to it.
        Assert.Single(ElfVersionPatcher.WeakenMarkerOnlyVersions(File.ReadAllBytes(ShippedBridge())));
        if (System.Runtime.InteropServices.NativeLibrary.TryLoad(ShippedBridge(), out _))
            return; // a newer libstdc++: no copy is needed
        var copy = Assert.Single(Directory.GetFiles(TorchRuntime.CacheFolder, "libLibTorchSharp.so", SearchOption.AllDirectories),
            f => new FileInfo(f).Length == new FileInfo(ShippedBridge()).Length);
        Assert.Empty(ElfVersionPatcher.WeakenMarkerOnlyVersions(File.ReadAllBytes(copy)));
    }
}
