// Score a labelled folder with a model that MlNetCnn exported to ONNX, using ML.NET alone (no MlNetCnn, no TorchSharp).
//
//   dotnet run --project samples/ServeWithOnnx [-- MODEL_ONNX [FOLDER]]
//
// MODEL_ONNX: written by model.ExportOnnx(path) or `mlnetcnn export-onnx` (default: <temp>/MlNetCnn.Samples/model.onnx,
// where the TrainEvaluateSaveLoad sample writes it). FOLDER: a folder with labels.csv (default: the repo's data/valid).
// The image steps are rebuilt from the model's metadata, so they match the ones it was trained with. Exits 1 if the
// accuracy is below 0.9.
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Transforms.Image;

const double MinimumAccuracy = 0.9;

var onnxPath = args.Length > 0 ? args[0] : Path.Combine(Path.GetTempPath(), "MlNetCnn.Samples", "model.onnx");
var folder = args.Length > 1 ? args[1] : Path.Combine(FindDataFolder(), "valid");

// What the exporter recorded: geometry, threshold and the image steps (keys mlnetcnn.*).
Dictionary<string, string> meta;
using (var session = new InferenceSession(onnxPath))
    meta = new Dictionary<string, string>(session.ModelMetadata.CustomMetadataMap);
string Fact(string key) => meta.TryGetValue("mlnetcnn." + key, out var value) ? value
    : throw new InvalidDataException($"{onnxPath} has no mlnetcnn.{key} in its metadata; export the whole pipeline (model.ExportOnnx) to record it.");
var width = int.Parse(Fact("width"), CultureInfo.InvariantCulture);
var height = int.Parse(Fact("height"), CultureInfo.InvariantCulture);
var grayscale = bool.Parse(Fact("grayscale"));
var resizing = Enum.Parse<ImageResizingEstimator.ResizingKind>(Fact("resize_mode"));
var anchor = Enum.Parse<ImageResizingEstimator.Anchor>(Fact("resize_anchor"));
var colors = Enum.Parse<ImagePixelExtractingEstimator.ColorBits>(Fact("color_bits"));
var order = Enum.Parse<ImagePixelExtractingEstimator.ColorsOrder>(Fact("color_order"));
var scale = float.Parse(Fact("pixel_scale"), CultureInfo.InvariantCulture);
var offset = float.Parse(Fact("pixel_offset"), CultureInfo.InvariantCulture);
var interleave = bool.Parse(Fact("interleave"));
Console.WriteLine($"{onnxPath}: {Fact("channels")}×{height}×{width}, threshold {Fact("threshold")}, {Fact("pixel_scaling")}");

var ml = new MLContext(seed: 1);
IEstimator<ITransformer> steps = ml.Transforms.LoadImages("Image", imageFolder: null, inputColumnName: "ImagePath")
    .Append(ml.Transforms.ResizeImages("Image", width, height, "Image", resizing, anchor));
if (grayscale)
    steps = steps.Append(ml.Transforms.ConvertToGrayscale("Image"));
var pipeline = steps
    .Append(ml.Transforms.ExtractPixels("Features", "Image", colors, order, interleave, offsetImage: offset, scaleImage: scale))
    // Each output is [N] for a batch, so ML.NET gives a vector of one value per row ...
    .Append(ml.Transforms.ApplyOnnxModel(new[] { "Score", "Probability", "PredictedLabel" }, new[] { "Features" }, onnxPath))
    // ... and a mapping makes them the scalar columns BinaryClassification.Evaluate reads.
    .Append(ml.Transforms.CustomMapping<OnnxOutput, Prediction>((row, scalar) =>
    {
        scalar.Score = row.Score[0];
        scalar.Probability = row.Probability[0];
        scalar.PredictedLabel = row.PredictedLabel[0];
    }, contractName: null));

var data = ml.Data.LoadFromEnumerable(File.ReadLines(Path.Combine(folder, "labels.csv")).Skip(1)
    .Where(line => line.Length > 0)
    .Select(line => line.Split(','))
    .Select(fields => new ImageInput { ImagePath = Path.Combine(folder, fields[0]), Label = bool.Parse(fields[1]) })
    .ToList());
var model = pipeline.Fit(data);
var scored = model.Transform(data);
var metrics = ml.BinaryClassification.Evaluate(scored);
Console.WriteLine($"{folder}: accuracy {metrics.Accuracy:F4}, AUC {metrics.AreaUnderRocCurve:F4}, F1 {metrics.F1Score:F4}");
foreach (var row in ml.Data.CreateEnumerable<Scored>(scored, reuseRowObject: false).Take(5))
    Console.WriteLine($"  {Path.GetFileName(row.ImagePath),-12} P(positive) {row.Probability:F3}  predicted {(row.PredictedLabel ? "positive" : "negative")}  {(row.PredictedLabel == row.Label ? "right" : "wrong")}");
if (metrics.Accuracy < MinimumAccuracy)
{
    Console.Error.WriteLine($"ServeWithOnnx: accuracy {metrics.Accuracy:F4} is below {MinimumAccuracy}");
    return 1;
}
return 0;

static string FindDataFolder()
{
    foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "data", "valid", "labels.csv")))
                return Path.Combine(dir.FullName, "data");
        }
    }
    throw new DirectoryNotFoundException("No data/valid/labels.csv above the current folder; pass the folder as the second argument.");
}

internal sealed class ImageInput
{
    public string ImagePath { get; set; } = "";
    public bool Label { get; set; }
}

internal sealed class OnnxOutput
{
    [VectorType(1)] public float[] Score { get; set; } = Array.Empty<float>();
    [VectorType(1)] public float[] Probability { get; set; } = Array.Empty<float>();
    [VectorType(1)] public bool[] PredictedLabel { get; set; } = Array.Empty<bool>();
}

internal sealed class Prediction
{
    public float Score { get; set; }
    public float Probability { get; set; }
    public bool PredictedLabel { get; set; }
}

internal sealed class Scored
{
    public string ImagePath { get; set; } = "";
    public bool Label { get; set; }
    public float Probability { get; set; }
    public bool PredictedLabel { get; set; }
}
