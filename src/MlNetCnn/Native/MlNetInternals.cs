using System.Runtime.CompilerServices;

// The one place that opens ML.NET's internals (dotnet/machinelearning#4911). MlNetCnn compiles against copies of
// these assemblies with their members made public (build/Publicizer); at run time these attributes let the real
// assemblies accept the calls. What we use: ModelSaveContext, ModelLoadContext, VersionInfo, LoadableClassAttribute,
// IHost/IChannel logging, IInternalCatalog (the catalog's environment). All of it is confined to Persistence/,
// Training/ (logging), CnnEstimator/CnnTransformer (host registration) and CnnCatalog.
[assembly: IgnoresAccessChecksTo("Microsoft.ML.Core")]
[assembly: IgnoresAccessChecksTo("Microsoft.ML.Data")]
