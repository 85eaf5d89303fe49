// Load a saved model and score single images with a PredictionEngine, one call per image.
//
//   dotnet run --project samples/PredictionEngine [-- MODEL_ZIP [IMAGE ...]]
//
// MODEL_ZIP defaults to <temp>/MlNetCnn.Samples/model.zip, which the TrainEvaluateSaveLoad sample writes; a model.zip
// from `mlnetcnn train` works too (both take an ImagePath column). Without IMAGEs it scores the first images of each
// class in the repo's data/valid/7 (Sneaker, negative) and data/valid/9 (Ankle boot, positive), and exits 1 if too
// few are right or a prediction is inconsistent.
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using MlNetCnn;

const int ImagesPerClass = 10;
const double MinimumShareRight = 0.8;

var modelPath = args.Length > 0 ? args[0] : Path.Combine(Path.GetTempPath(), "MlNetCnn.Samples", "model.zip");
if (!File.Exists(modelPath))
{
    Console.Error.WriteLine($"PredictionEngine: no model at {modelPath}. Run samples/TrainEvaluateSaveLoad first, or pass a model.zip.");
    return 2;
}
// Known labels only for the shipped images; images named on the command line are scored without one.
var images = args.Length > 1
    ? args.Skip(1).Select(path => (Path: Path.GetFullPath(path), Label: (bool?)null)).ToList()
    : ShippedImages(FindDataFolder(), ImagesPerClass);

var ml = new MLContext();
// ML.NET looks a model's loaders up among the loaded assemblies; make sure the two this model needs are loaded.
_ = typeof(CnnTransformer).Assembly;
_ = typeof(ImageLoadingTransformer).Assembly;
var model = ml.Model.Load(modelPath, out _);
var cnn = ((IEnumerable<ITransformer>)model).OfType<CnnTransformer>().Single();
Console.WriteLine($"Model {modelPath}: {cnn.Geometry} input, {cnn.ParameterCount:N0} parameters, threshold {cnn.Threshold}");

// A PredictionEngine scores one object at a time and reuses its buffers. It is not thread-safe: one per thread, or
// Microsoft.Extensions.ML's PredictionEnginePool in a web app.
using var engine = ml.Model.CreatePredictionEngine<ImageInput, ImagePrediction>(model);
var right = 0;
var problems = new List<string>();
foreach (var (path, label) in images)
{
    var prediction = engine.Predict(new ImageInput { ImagePath = path });
    var verdict = label is null ? "" : prediction.PredictedLabel == label ? "  right" : "  WRONG";
    Console.WriteLine($"  {Path.GetRelativePath(Environment.CurrentDirectory, path),-40} P(positive) {prediction.Probability:F3}  predicted {(prediction.PredictedLabel ? "positive" : "negative")}{verdict}");
    if (prediction.PredictedLabel == label)
        right++;
    if (!(prediction.Probability is >= 0 and <= 1) || prediction.PredictedLabel != prediction.Probability >= cnn.Threshold)
        problems.Add($"{path}: Probability {prediction.Probability} and PredictedLabel {prediction.PredictedLabel} disagree with threshold {cnn.Threshold}");
}
(model as IDisposable)?.Dispose();

var labelled = images.Count(i => i.Label is not null);
if (labelled > 0)
{
    Console.WriteLine($"{right} of {labelled} right");
    if (right < MinimumShareRight * labelled)
        problems.Add($"only {right} of {labelled} images right; expected at least {MinimumShareRight:P0}");
}
foreach (var problem in problems)
    Console.Error.WriteLine($"PredictionEngine: {problem}");
return problems.Count == 0 ? 0 : 1;

static List<(string Path, bool? Label)> ShippedImages(string dataFolder, int perClass) =>
    new[] { ("7", false), ("9", true) }
        .SelectMany(c => Directory.GetFiles(Path.Combine(dataFolder, "valid", c.Item1), "*.png").Order(StringComparer.Ordinal).Take(perClass)
            .Select(path => (path, (bool?)c.Item2)))
        .ToList();

// The repo's data/ folder, found from the current folder or the program's own, whichever is inside the repo.
static string FindDataFolder()
{
    foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
    {
        for (var folder = new DirectoryInfo(start); folder is not null; folder = folder.Parent)
        {
            var data = Path.Combine(folder.FullName, "data");
            if (Directory.Exists(Path.Combine(data, "valid", "9")))
                return data;
        }
    }
    throw new DirectoryNotFoundException("No data/valid/9 above the current folder; name the images to score after the model.");
}

/// <summary>What the model reads: the image file. (A Label column is not needed to score.)</summary>
internal sealed class ImageInput
{
    public string ImagePath { get; set; } = "";
}

/// <summary>What the CNN adds: the logit, its sigmoid, and Probability ≥ threshold.</summary>
internal sealed class ImagePrediction
{
    [ColumnName(CnnTransformer.ScoreColumnName)]
    public float Score { get; set; }

    [ColumnName(CnnTransformer.ProbabilityColumnName)]
    public float Probability { get; set; }

    [ColumnName(CnnTransformer.PredictedLabelColumnName)]
    public bool PredictedLabel { get; set; }
}
