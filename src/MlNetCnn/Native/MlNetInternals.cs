using System.Runtime.CompilerServices;

// The one place that opens ML.NET's internals (dotnet/machinelearning#4911). MlNetCnn compiles against copies of
// these assemblies with their members made public (build/Publicizer); at run time these attributes let the real
// assemblies accept the calls. What we use: ModelSaveContext, ModelLoadContext, VersionInfo, LoadableClassAttribute,
// IHost/IChannel logging, IInternalCatalog (the catalog's environment), and the image transformers' column settings
// (read-only, for the ONNX export's metadata). All of it is confined to Persistence/, Training/ (logging),
// CnnEstimator/CnnTransformer (host registration), CnnCatalog and CnnModel (image settings).
[assembly: IgnoresAccessChecksTo("Microsoft.ML.Core")]
[assembly: IgnoresAccessChecksTo("Microsoft.ML.Data")]
[assembly: IgnoresAccessChecksTo("Microsoft.ML.ImageAnalytics")]
