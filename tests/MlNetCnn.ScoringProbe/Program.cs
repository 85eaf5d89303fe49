// Usage: MlNetCnn.ScoringProbe MODEL.zip IMAGE...
// Loads the model in a fresh process, scores the images (ImagePath column) and prints one score per line
// (round-trip format), then one line "native: ..." naming the torch and onnxruntime libraries the process mapped.
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

var ml = new MLContext(seed: 1);
_ = typeof(MlNetCnn.CnnTransformer).Assembly;
_ = typeof(Microsoft.ML.Data.ImageLoadingTransformer).Assembly;
var model = ml.Model.Load(args[0], out _);
var rows = ml.Data.LoadFromEnumerable(args.Skip(1).Select(p => new Row { ImagePath = p }).ToList());
var scores = model.Transform(rows).GetColumn<float>("Score").ToArray();
foreach (var score in scores)
    Console.WriteLine(score.ToString("R", CultureInfo.InvariantCulture));
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
