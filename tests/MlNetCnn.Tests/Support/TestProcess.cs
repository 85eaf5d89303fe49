using System.Runtime.CompilerServices;
using MlNetCnn.Native;

namespace MlNetCnn.Tests.Support;

/// <summary>What the test process sets up before its first test.</summary>
internal static class TestProcess
{
    /// <summary>
    /// Takes MlNetCnn's oneDNN cap (machines that hide their cache sizes) as this process's own, so that no test lifts
    /// it for the tests after it: the tests train BFloat16 where it is not native, to test its mechanics, and custom
    /// networks, which a lifted process refuses. The automatic lift is tested in child processes
    /// (Precision/AutomaticLiftTests), the decision itself in PrecisionChoiceTests.
    /// </summary>
    [ModuleInitializer]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2255", Justification = "Must hold before any test, whichever runs first.")]
    internal static void KeepOneDnnCap() => OneDnnGuard.AdoptCap();
}
