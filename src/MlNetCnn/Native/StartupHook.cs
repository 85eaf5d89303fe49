using System.Reflection;
using MlNetCnn.Native;

/// <summary>
/// Runs before the application's Main when the app names MlNetCnn as a startup hook (the package's
/// buildTransitive targets do, through the runtimeconfig property STARTUP_HOOKS). It installs MlNetCnn's native
/// loader first, so that TorchSharp used before any MlNetCnn type still loads (and never falls back to copying
/// libtorch beside the app). libtorch itself is loaded at start only when the application's own assembly references
/// TorchSharp; an app that only scores with ONNX Runtime never loads it.
/// </summary>
internal static class StartupHook
{
    /// <summary>The startup-hook entry point the runtime calls.</summary>
    public static void Initialize()
    {
        TorchRuntime.Register();
        var entry = Assembly.GetEntryAssembly();
        if (entry?.GetReferencedAssemblies().Any(a => a.Name == "TorchSharp") == true)
            TorchRuntime.EnsureLoaded();
    }
}
