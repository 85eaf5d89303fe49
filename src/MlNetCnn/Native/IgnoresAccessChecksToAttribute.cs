namespace System.Runtime.CompilerServices;

/// <summary>
/// Tells the runtime that this assembly may use the named assembly's non-public members. The runtime honours it;
/// the SDK does not define it, so each assembly that uses it declares its own.
/// </summary>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
internal sealed class IgnoresAccessChecksToAttribute : Attribute
{
    /// <summary>Names the assembly whose internals this one uses.</summary>
    public IgnoresAccessChecksToAttribute(string assemblyName) => AssemblyName = assemblyName;

    /// <summary>The simple name of that assembly.</summary>
    public string AssemblyName { get; }
}
