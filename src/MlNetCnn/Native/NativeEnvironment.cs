using System.Runtime.InteropServices;

namespace MlNetCnn.Native;

/// <summary>
/// Environment variables that native libraries read with <c>getenv</c>. On Linux, .NET's
/// <c>Environment.SetEnvironmentVariable</c> changes only the managed copy; libc's <c>setenv</c> reaches native code,
/// provided it runs before the library reads the variable (libtorch and oneDNN read theirs once, when first used).
/// </summary>
internal static partial class NativeEnvironment
{
    /// <summary>Sets <paramref name="name"/> for native code unless the process already has it; returns whether it set it.</summary>
    public static bool SetDefault(string name, string value)
    {
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable(name)))
            return false;
        Environment.SetEnvironmentVariable(name, value);
        if (OperatingSystem.IsLinux() && setenv(name, value, 0) != 0)
            throw new InvalidOperationException($"setenv({name}) failed with errno {Marshal.GetLastPInvokeError()}.");
        return true;
    }

    /// <summary>Sets <paramref name="name"/> for native code and .NET alike, over what the process had.</summary>
    public static void Set(string name, string value)
    {
        Environment.SetEnvironmentVariable(name, value);
        if (OperatingSystem.IsLinux() && setenv(name, value, 1) != 0)
            throw new InvalidOperationException($"setenv({name}) failed with errno {Marshal.GetLastPInvokeError()}.");
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int setenv(string name, string value, int overwrite);
}
