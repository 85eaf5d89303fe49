using System.Reflection;

namespace MlNetCnn.Network;

/// <summary>
/// Finds the <see cref="ICnnNetworkFactory"/> registered under a name by <see cref="CnnNetworkFactoryAttribute"/>:
/// in the assemblies loaded now and those the application references, or in the assembly a model names.
/// </summary>
internal static class NetworkFactories
{
    /// <summary>The factory called <paramref name="name"/> and the assembly that registers it.</summary>
    /// <param name="name">The registered name.</param>
    /// <param name="assemblyName">The assembly a saved model says registered it, loaded if need be; null when training.</param>
    /// <exception cref="InvalidOperationException">No factory has that name, two do, or it cannot be made; the message says which and where to look.</exception>
    public static (ICnnNetworkFactory Factory, Assembly Assembly) Find(string name, string? assemblyName = null)
    {
        var found = Registrations(Candidates(assemblyName)).Where(r => string.Equals(r.Attribute.Name, name, StringComparison.Ordinal)).DistinctBy(r => r.Assembly).ToList();
        if (found.Count == 0)
        {
            var known = Registrations(Candidates(null)).Select(r => $"'{r.Attribute.Name}' ({r.Assembly.GetName().Name})").Distinct().ToList();
            var where = assemblyName is null ? "" : LoadProblem(assemblyName) is { } problem
                ? $" The model says it was registered by assembly '{assemblyName}', which could not be loaded ({problem}); deploy that assembly beside the application."
                : $" The model says it was registered by assembly '{assemblyName}', which is loaded but registers no such factory.";
            throw new InvalidOperationException($"No CNN network factory is registered as '{name}'.{where} " +
                $"Register one with [assembly: CnnNetworkFactory(\"{name}\", typeof(MyFactory))]. Registered: {(known.Count == 0 ? "none" : string.Join(", ", known))}.");
        }
        if (found.Count > 1)
            throw new InvalidOperationException($"Two assemblies register a CNN network factory as '{name}': {string.Join(" and ", found.Select(f => f.Assembly.GetName().Name))}. Give one of them another name.");
        var (attribute, assembly) = found[0];
        if (attribute.FactoryType is null || !typeof(ICnnNetworkFactory).IsAssignableFrom(attribute.FactoryType))
            throw new InvalidOperationException($"The CNN network factory '{name}' in {assembly.GetName().Name} is {attribute.FactoryType?.FullName ?? "null"}, which does not implement ICnnNetworkFactory.");
        if (attribute.FactoryType.GetConstructor(Type.EmptyTypes) is null)
            throw new InvalidOperationException($"The CNN network factory '{name}' ({attribute.FactoryType.FullName}) has no public parameterless constructor.");
        return ((ICnnNetworkFactory)Activator.CreateInstance(attribute.FactoryType)!, assembly);
    }

    private static IEnumerable<Assembly> Candidates(string? assemblyName)
    {
        var loaded = AppDomain.CurrentDomain.GetAssemblies().Where(a => !a.IsDynamic).ToList();
        foreach (var assembly in loaded)
            yield return assembly;
        // An application that references a factory's library without having used one of its types yet.
        if (Assembly.GetEntryAssembly() is { } entry)
        {
            foreach (var reference in entry.GetReferencedAssemblies())
            {
                if (loaded.Any(a => AssemblyName.ReferenceMatchesDefinition(reference, a.GetName())))
                    continue;
                Assembly? referenced = null;
                try
                {
                    referenced = Assembly.Load(reference);
                }
                catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException)
                {
                }
                if (referenced is not null)
                    yield return referenced;
            }
        }
        if (assemblyName is not null && LoadProblem(assemblyName) is null)
            yield return Assembly.Load(new AssemblyName(assemblyName));
    }

    private static string? LoadProblem(string assemblyName)
    {
        try
        {
            Assembly.Load(new AssemblyName(assemblyName));
            return null;
        }
        catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException or ArgumentException)
        {
            return e.Message;
        }
    }

    private static IEnumerable<(CnnNetworkFactoryAttribute Attribute, Assembly Assembly)> Registrations(IEnumerable<Assembly> assemblies)
    {
        foreach (var assembly in assemblies)
        {
            CnnNetworkFactoryAttribute[] attributes;
            try
            {
                attributes = assembly.GetCustomAttributes<CnnNetworkFactoryAttribute>().ToArray();
            }
            catch (Exception e) when (e is FileNotFoundException or FileLoadException or TypeLoadException)
            {
                continue; // An assembly whose attributes cannot be read registers nothing we can use.
            }
            foreach (var attribute in attributes)
                yield return (attribute, assembly);
        }
    }
}
