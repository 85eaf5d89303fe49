using System.Diagnostics;
using System.Runtime.InteropServices;
using MlNetCnn.Native;
using MlNetCnn.Tests.Cli;
using MlNetCnn.Tests.Support;

namespace MlNetCnn.Tests.Native;

public sealed partial class NativeEnvironmentTests
{
    [Fact]
    public void OpenMP_threads_sleep_instead_of_spinning_unless_the_process_says_otherwise()
    {
        TorchRuntime.EnsureLoaded();
        var expected = Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is { Length: > 0 } own ? own : "PASSIVE";
        // What native code sees: libc's getenv, not .NET's copy of the environment.
        Assert.Equal(expected, Marshal.PtrToStringUTF8(getenv("OMP_WAIT_POLICY")));
    }

    [Fact]
    public void A_setting_the_process_already_has_is_kept()
    {
        var name = $"MLNETCNN_TEST_{Guid.NewGuid():N}";
        Assert.True(NativeEnvironment.SetDefault(name, "first"));
        Assert.False(NativeEnvironment.SetDefault(name, "second"));
        Assert.Equal("first", Marshal.PtrToStringUTF8(getenv(name)));
    }

    [Fact]
    public void The_patched_library_goes_to_the_first_folder_that_can_be_written()
    {
        using var temp = new TempFolder();
        var blocker = temp.File("a-file");
        File.WriteAllText(blocker, "not a folder");
        var usable = temp.File("cache");
        var bytes = new byte[] { 1, 2, 3 };

        // A folder under a file cannot be made, even by root.
        var path = TorchRuntime.WriteToFirstWritable(new[] { Path.Combine(blocker, "cache"), usable }, "key", bytes);

        Assert.Equal(Path.Combine(usable, "key", "libLibTorchSharp.so"), path);
        Assert.Equal(bytes, File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(Path.Combine(usable, "key")));
        Assert.Equal(path, TorchRuntime.WriteToFirstWritable(new[] { usable }, "key", bytes));
    }

    [Fact]
    public void When_no_folder_can_be_written_the_error_names_every_one_tried()
    {
        using var temp = new TempFolder();
        var blocker = temp.File("a-file");
        File.WriteAllText(blocker, "not a folder");
        var first = Path.Combine(blocker, "one");
        var second = Path.Combine(blocker, "two");

        var error = Assert.Throws<IOException>(() => TorchRuntime.WriteToFirstWritable(new[] { first, second }, "key", new byte[] { 1 }));

        Assert.Contains(Path.Combine(first, "key"), error.Message);
        Assert.Contains(Path.Combine(second, "key"), error.Message);
        Assert.Contains("MLNETCNN_NATIVE_CACHE", error.Message);
    }

    [Fact]
    public async Task With_HOME_unwritable_training_still_loads_libtorch_from_the_temporary_folder()
    {
        using var temp = new CliTempFolder();
        var home = Path.Combine(temp.Path, "home-file");
        File.WriteAllText(home, "HOME is a file: nothing can be written under it");
        var tmp = temp["tmp"];
        var train = TinyImageFolder.Write(temp["train"], 8, seed: 1);

        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "MlNetCnn.Cli.dll"));
        foreach (var arg in TinyModelFixture.TrainArgs(train, train, temp["out"]))
            start.ArgumentList.Add(arg);
        start.Environment["HOME"] = home;
        start.Environment["TMPDIR"] = tmp;
        start.Environment.Remove("XDG_CACHE_HOME");
        start.Environment.Remove("MLNETCNN_NATIVE_CACHE");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(cancel.Token);

        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}\n{await stdout}\n{await stderr}");
        Assert.True(File.Exists(Path.Combine(temp["out"], "model.zip")));
        // Where the shipped library does not load (Debian 12's libstdc++), its patched copy is in the temporary folder.
        var patched = Directory.GetFiles(tmp, "libLibTorchSharp.so", SearchOption.AllDirectories);
        Assert.True(patched.Length == 1 || OriginalBridgeLoads(), $"no patched copy under {tmp}: {string.Join(", ", Directory.GetFileSystemEntries(tmp, "*", SearchOption.AllDirectories))}");
    }

    // The shipped bridge loads as it is where the system's libstdc++ has the version it asks for.
    private static bool OriginalBridgeLoads()
    {
        const string libstdcxx = "/usr/lib/x86_64-linux-gnu/libstdc++.so.6";
        return File.Exists(libstdcxx) && File.ReadAllBytes(libstdcxx).AsSpan().IndexOf("GLIBCXX_3.4.32"u8) >= 0;
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr getenv(string name);
}
