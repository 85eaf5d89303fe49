namespace MlNetCnn;

/// <summary>
/// Registers an <see cref="ICnnNetworkFactory"/> under a name for <see cref="CustomNetwork.FromFactory"/>, as ML.NET's
/// <c>LoadableClass</c> registers a loader: <c>[assembly: CnnNetworkFactory("my-net", typeof(MyFactory))]</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
public sealed class CnnNetworkFactoryAttribute : Attribute
{
    /// <summary>Registers <paramref name="factoryType"/> as the factory called <paramref name="name"/>.</summary>
    public CnnNetworkFactoryAttribute(string name, Type factoryType)
    {
        Name = name;
        FactoryType = factoryType;
    }

    /// <summary>The name <see cref="CustomNetwork.FromFactory"/> is given.</summary>
    public string Name { get; }

    /// <summary>A type implementing <see cref="ICnnNetworkFactory"/> with a public parameterless constructor.</summary>
    public Type FactoryType { get; }
}
