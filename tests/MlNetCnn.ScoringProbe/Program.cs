// Usage: MlNetCnn.ScoringProbe MODEL.zip IMAGE...
// Loads the model in a fresh process, scores the images (ImagePath column) and prints one score per line
// (round-trip format), then one line "native: ..." naming the torch and onnxruntime libraries the process mapped.
//
// Usage: MlNetCnn.ScoringProbe MODEL.zip --features FILE [--allow-bfloat16-kernels] [--fault LAYER:KIND]
// Loads a model whose last step is a CnnTransformer, scores the images in FILE (little-endian float32 values, C×H×W
// per image, in the model's geometry) twice, then once more with the scoring precision set to Float32, and prints
// "first: s s ...", "second: s s ...", "float32: s s ...", "precision: P" (the active scoring precision of the first
// two), "reason: ...", "threads: N" (the active scoring threads), "allowed: True|False" (what
// TorchRuntime.AllowBFloat16Kernels returned; "-" when not called) and "native: ..."; a line whose scoring LibTorch
// refused reads "KEY: refused: MESSAGE". --allow-bfloat16-kernels calls TorchRuntime.AllowBFloat16Kernels before
// anything else; --fault makes LAYER compute wrong for the kernel check (tests/MlNetCnn.Tests/Support/LayerFault.cs).
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetCnn;
using MlNetCnn.Native;
using MlNetCnn.Tests.Support;

var allowed = args.Contains("--allow-bfloat16-kernels") ? TorchRuntime.AllowBFloat16Kernels().ToString() : "-";
var ml = new MLContext(seed: 1);
_ = typeof(MlNetCnn.CnnTransformer).Assembly;
_ = typeof(Microsoft.ML.Data.ImageLoadingTransformer).Assembly;
var model = ml.Model.Load(args[0], out _);
string? Option(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
if (Option("--features") is { } file)
{
    using var fault = Option("--fault") is { } spec ? LayerFault.Inject(spec) : null;
    var cnn = model.FindCnn();
    var g = cnn.Geometry;
    var bytes = File.ReadAllBytes(file);
    var values = new float[bytes.Length / sizeof(float)];
    Buffer.BlockCopy(bytes, 0, values, 0, values.Length * sizeof(float));
    var images = Enumerable.Range(0, values.Length / g.Size).Select(i => new FeatureRow { Features = values[(i * g.Size)..((i + 1) * g.Size)] }).ToList();
    var definition = SchemaDefinition.Create(typeof(FeatureRow));
    definition[nameof(FeatureRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, g.Channels, g.Height, g.Width);
    var features = ml.Data.LoadFromEnumerable(images, definition);
    static string Scores(ITransformer scorer, IDataView data) =>
        string.Join(" ", scorer.Transform(data).GetColumn<float>("Score").Select(s => s.ToString("R", CultureInfo.InvariantCulture)));
    // LibTorch refuses scoring it could compute wrong (under a lifted cap): "KEY: refused: MESSAGE".
    static void Print(string key, Func<string> value)
    {
        try
        {
            Console.WriteLine($"{key}: {value()}");
        }
        catch (InvalidOperationException e)
        {
            Console.WriteLine($"{key}: refused: {e.Message.ReplaceLineEndings(" ")}");
        }
    }
    Print("first", () => Scores(model, features));
    Print("second", () => Scores(model, features));
    Print("precision", () => cnn.ActiveScoringPrecision.ToString());
    Print("reason", () => cnn.ScoringPrecisionReason);
    Print("threads", () => cnn.ActiveScoringThreads.ToString(CultureInfo.InvariantCulture));
    using (var float32 = cnn.WithScoringPrecision(Precision.Float32))
        Print("float32", () => Scores(float32, features));
    Console.WriteLine("allowed: " + allowed);
}
else
{
    var rows = ml.Data.LoadFromEnumerable(args.Skip(1).Select(p => new Row { ImagePath = p }).ToList());
    var scores = model.Transform(rows).GetColumn<float>("Score").ToArray();
    foreach (var score in scores)
        Console.WriteLine(score.ToString("R", CultureInfo.InvariantCulture));
}
var mapped = File.ReadLines("/proc/self/maps")
    .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "")
    .Where(path => path.Contains("torch", StringComparison.OrdinalIgnoreCase) || path.Contains("onnxruntime", StringComparison.OrdinalIgnoreCase))
    .Where(path => path.EndsWith(".so", StringComparison.Ordinal) || path.Contains(".so.", StringComparison.Ordinal))
    .Select(Path.GetFileName)
    .Distinct()
    .Order();
Console.WriteLine("native: " + string.Join(" ", mapped));
(model as IDisposable)?.Dispose();

internal sealed class Row
{
    public string ImagePath { get; set; } = "";
}

internal sealed class FeatureRow
{
    public float[] Features { get; set; } = [];
}
