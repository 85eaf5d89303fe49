// Usage: MlNetCnn.ScoringProbe MODEL.zip IMAGE...
// Loads the model in a fresh process, scores the images (ImagePath column) and prints one score per line
// (round-trip format), then one line "native: ..." naming the torch and onnxruntime libraries the process mapped.
//
// Usage: MlNetCnn.ScoringProbe MODEL.zip --features FILE
// Loads a model whose last step is a CnnTransformer, scores the images in FILE (little-endian float32 values, C×H×W
// per image, in the model's geometry) twice, and prints "first: s s ...", "second: s s ...", "precision: P" (the
// active scoring precision), "reason: ...", "threads: N" (the active scoring threads) and "native: ...".
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetCnn;

var ml = new MLContext(seed: 1);
_ = typeof(MlNetCnn.CnnTransformer).Assembly;
_ = typeof(Microsoft.ML.Data.ImageLoadingTransformer).Assembly;
var model = ml.Model.Load(args[0], out _);
if (args.Length == 3 && args[1] == "--features")
{
    var cnn = model.FindCnn();
    var g = cnn.Geometry;
    var bytes = File.ReadAllBytes(args[2]);
    var values = new float[bytes.Length / sizeof(float)];
    Buffer.BlockCopy(bytes, 0, values, 0, values.Length * sizeof(float));
    var images = Enumerable.Range(0, values.Length / g.Size).Select(i => new FeatureRow { Features = values[(i * g.Size)..((i + 1) * g.Size)] }).ToList();
    var definition = SchemaDefinition.Create(typeof(FeatureRow));
    definition[nameof(FeatureRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, g.Channels, g.Height, g.Width);
    var features = ml.Data.LoadFromEnumerable(images, definition);
    string Scores() => string.Join(" ", model.Transform(features).GetColumn<float>("Score").Select(s => s.ToString("R", CultureInfo.InvariantCulture)));
    Console.WriteLine("first: " + Scores());
    Console.WriteLine("second: " + Scores());
    Console.WriteLine("precision: " + cnn.ActiveScoringPrecision);
    Console.WriteLine("reason: " + cnn.ScoringPrecisionReason);
    Console.WriteLine("threads: " + cnn.ActiveScoringThreads);
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
