// Train → evaluate → save → load, on folders described by a labels.csv (ImagePath,Label; paths relative to it).
//
//   dotnet run --project samples/TrainEvaluateSaveLoad [-- DATA_FOLDER [MODEL_ZIP [MODEL_ONNX]]]
//
// DATA_FOLDER holds train/ and valid/ (default: the repo's data/). The model is written to MODEL_ZIP (default:
// <temp>/MlNetCnn.Samples/model.zip, where the PredictionEngine sample looks for it) and exported as ONNX to
// MODEL_ONNX (default: model.onnx beside it, where the ServeWithOnnx sample looks for it). Exits 1 if accuracy is
// too low or the reloaded model scores differently.
using Microsoft.ML;
using Microsoft.ML.Transforms.Image;
using MlNetCnn;

const int ImageSize = 36;          // the smallest input the default network takes; 64 learns a little more, slower
const int Epochs = 3;
const double MinimumAccuracy = 0.9;

var dataFolder = args.Length > 0 ? args[0] : FindDataFolder();
var modelPath = args.Length > 1 ? args[1] : Path.Combine(Path.GetTempPath(), "MlNetCnn.Samples", "model.zip");
var onnxPath = args.Length > 2 ? args[2] : Path.ChangeExtension(modelPath, ".onnx");

var ml = new MLContext(seed: 1);   // the CNN takes its seed (weights, shuffling) and its log from the context
var train = ml.Data.LoadFromEnumerable(ReadLabelsCsv(Path.Combine(dataFolder, "train")));
var valid = ml.Data.LoadFromEnumerable(ReadLabelsCsv(Path.Combine(dataFolder, "valid")));

// Image file → ImageSize² → gray → a 1×H×W Single vector in [0, 1]. These steps are saved in the zip with the network,
// so the model scores image paths.
var imageSteps = ml.Transforms.LoadImages("Image", imageFolder: null, inputColumnName: nameof(ImageInput.ImagePath))
    .Append(ml.Transforms.ResizeImages("Image", ImageSize, ImageSize))
    .Append(ml.Transforms.ConvertToGrayscale("Image"))
    .Append(ml.Transforms.ExtractPixels("Features", "Image", ImagePixelExtractingEstimator.ColorBits.Red, scaleImage: 1f / 255));

// The validation set is measured whole after every epoch; the trainer sees it as it sees the training rows (Features).
var options = new CnnOptions { Epochs = Epochs, ValidationSet = imageSteps.Fit(valid).Transform(valid) };
var pipeline = imageSteps.Append(ml.BinaryClassification.Trainers.Cnn(options));

Console.WriteLine($"Training on {dataFolder}/train: {ImageSize}×{ImageSize} gray, {Epochs} epochs");
var model = pipeline.Fit(train);
foreach (var epoch in model.LastTransformer.Report.History)
    Console.WriteLine($"  epoch {epoch.Epoch}: train loss {epoch.TrainingLoss:F4}, valid loss {epoch.Validation?.Loss:F4}, accuracy {epoch.Validation?.Accuracy:F4}, AUC {epoch.Validation?.Auc:F4}");

// BinaryClassification.Evaluate reads the CNN's Label, Score, Probability and PredictedLabel columns.
var metrics = ml.BinaryClassification.Evaluate(model.Transform(valid));
Console.WriteLine($"Validation: accuracy {metrics.Accuracy:F4}, AUC {metrics.AreaUnderRocCurve:F4}, F1 {metrics.F1Score:F4}");
Console.WriteLine(metrics.ConfusionMatrix.GetFormattedConfusionTable());

Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(modelPath))!);
ml.Model.Save(model, train.Schema, modelPath);
Console.WriteLine($"Saved {modelPath} ({new FileInfo(modelPath).Length:N0} bytes)");
// The network as ONNX, with the image steps' settings in its metadata: it scores in any ONNX Runtime host, without MlNetCnn.
model.ExportOnnx(onnxPath);
Console.WriteLine($"Exported {onnxPath} ({new FileInfo(onnxPath).Length:N0} bytes)");
model.Dispose();

// Later, in any program that references MlNetCnn: a new context loads the whole pipeline; nothing to register.
var loaded = new MLContext().Model.Load(modelPath, out _);
var reloaded = ml.BinaryClassification.Evaluate(loaded.Transform(valid));
Console.WriteLine($"Reloaded: accuracy {reloaded.Accuracy:F4}, AUC {reloaded.AreaUnderRocCurve:F4}");
(loaded as IDisposable)?.Dispose();

var problems = new List<string>();
if (metrics.Accuracy < MinimumAccuracy)
    problems.Add($"validation accuracy {metrics.Accuracy:F4} is below {MinimumAccuracy}");
if (reloaded.Accuracy != metrics.Accuracy || reloaded.AreaUnderRocCurve != metrics.AreaUnderRocCurve)
    problems.Add("the reloaded model scores differently from the trained one");
foreach (var problem in problems)
    Console.Error.WriteLine($"TrainEvaluateSaveLoad: {problem}");
return problems.Count == 0 ? 0 : 1;

// labels.csv: a header, then ImagePath,Label rows with paths relative to the folder and Label true or false.
static List<ImageInput> ReadLabelsCsv(string folder) =>
    File.ReadLines(Path.Combine(folder, "labels.csv")).Skip(1)
        .Where(line => line.Length > 0)
        .Select(line => line.Split(','))
        .Select(fields => new ImageInput { ImagePath = Path.Combine(folder, fields[0]), Label = bool.Parse(fields[1]) })
        .ToList();

// The repo's data/ folder, found from the current folder or the program's own, whichever is inside the repo.
static string FindDataFolder()
{
    foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
    {
        for (var folder = new DirectoryInfo(start); folder is not null; folder = folder.Parent)
        {
            var data = Path.Combine(folder.FullName, "data");
            if (File.Exists(Path.Combine(data, "train", "labels.csv")))
                return data;
        }
    }
    throw new DirectoryNotFoundException("No data/train/labels.csv above the current folder; pass the data folder as the first argument.");
}

/// <summary>One input row: an image file and its class (true = positive, Ankle boot in the shipped data).</summary>
internal sealed class ImageInput
{
    public string ImagePath { get; set; } = "";
    public bool Label { get; set; }
}
