// Train on a folder with one subfolder per class: the folder name is the label.
//
//   dotnet run --project samples/ClassSubfolders [-- TRAIN_FOLDER POSITIVE_SUBFOLDER [TEST_FOLDER]]
//
// Defaults: the repo's data/train, whose 7/ (Sneaker) and 9/ (Ankle boot) subfolders make 9 the positive class, and
// data/valid to test on. A fifth of the training images is held out (stratified) to validate each epoch and to choose
// the threshold that maximises F1. Exits 1 if test accuracy is too low.
using Microsoft.ML;
using Microsoft.ML.Transforms.Image;
using MlNetCnn;

const int ImageSize = 36;
const int Epochs = 3;
const double MinimumAccuracy = 0.9;
var imageExtensions = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { ".png", ".jpg", ".jpeg", ".bmp" };

var trainFolder = args.Length > 0 ? args[0] : Path.Combine(FindDataFolder(), "train");
var positive = args.Length > 1 ? args[1] : "9";
var testFolder = args.Length > 2 ? args[2] : args.Length > 0 ? null : Path.Combine(FindDataFolder(), "valid");

var ml = new MLContext(seed: 1);
var train = ml.Data.LoadFromEnumerable(ReadClassFolders(trainFolder, positive, imageExtensions));

var pipeline = ml.Transforms.LoadImages("Image", imageFolder: null, inputColumnName: nameof(ImageInput.ImagePath))
    .Append(ml.Transforms.ResizeImages("Image", ImageSize, ImageSize))
    .Append(ml.Transforms.ConvertToGrayscale("Image"))
    .Append(ml.Transforms.ExtractPixels("Features", "Image", ImagePixelExtractingEstimator.ColorBits.Red, scaleImage: 1f / 255))
    .Append(ml.BinaryClassification.Trainers.Cnn(new CnnOptions
    {
        Epochs = Epochs,
        ValidationFraction = 0.2,                       // held out of the training rows, stratified and seeded
        ThresholdSelection = ThresholdSelection.MaxF1,  // chosen on that held-out fifth, saved with the model
    }));

Console.WriteLine($"Training on {trainFolder} ({positive}/ is the positive class): {ImageSize}×{ImageSize} gray, {Epochs} epochs");
var model = pipeline.Fit(train);
var cnn = model.LastTransformer;
foreach (var epoch in cnn.Report.History)
    Console.WriteLine($"  epoch {epoch.Epoch}: train loss {epoch.TrainingLoss:F4}, held-out accuracy {epoch.Validation?.Accuracy:F4}, AUC {epoch.Validation?.Auc:F4}");
Console.WriteLine($"Threshold chosen on the held-out rows: {cnn.Threshold:F3}");
foreach (var alarm in cnn.Report.Alarms)
    Console.WriteLine($"  alarm {alarm.Code}: {alarm.Message}");

var problems = new List<string>();
if (testFolder is not null)
{
    var test = ml.Data.LoadFromEnumerable(ReadClassFolders(testFolder, positive, imageExtensions));
    var metrics = ml.BinaryClassification.Evaluate(model.Transform(test));
    Console.WriteLine($"Test on {testFolder}: accuracy {metrics.Accuracy:F4}, AUC {metrics.AreaUnderRocCurve:F4}, F1 {metrics.F1Score:F4}");
    if (metrics.Accuracy < MinimumAccuracy)
        problems.Add($"test accuracy {metrics.Accuracy:F4} is below {MinimumAccuracy}");
}
model.Dispose();
foreach (var problem in problems)
    Console.Error.WriteLine($"ClassSubfolders: {problem}");
return problems.Count == 0 ? 0 : 1;

// Every image in the two subfolders; Label is true in the one named positive.
static List<ImageInput> ReadClassFolders(string folder, string positive, IReadOnlySet<string> extensions)
{
    var classes = Directory.GetDirectories(folder).Order(StringComparer.Ordinal).ToArray();
    var names = classes.Select(Path.GetFileName).ToArray();
    if (classes.Length != 2 || !names.Contains(positive))
        throw new ArgumentException($"'{folder}' has subfolders [{string.Join(", ", names)}]; a binary classifier needs exactly two, one of them named '{positive}' (the positive class).");
    var rows = classes.SelectMany(c => Directory.EnumerateFiles(c).Where(f => extensions.Contains(Path.GetExtension(f)))
            .Select(f => new ImageInput { ImagePath = f, Label = Path.GetFileName(c) == positive }))
        .ToList();
    Console.WriteLine($"{folder}: {rows.Count(r => r.Label)} positive ({positive}/), {rows.Count(r => !r.Label)} negative ({names.Single(n => n != positive)}/)");
    return rows;
}

// The repo's data/ folder, found from the current folder or the program's own, whichever is inside the repo.
static string FindDataFolder()
{
    foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
    {
        for (var folder = new DirectoryInfo(start); folder is not null; folder = folder.Parent)
        {
            var data = Path.Combine(folder.FullName, "data");
            if (Directory.Exists(Path.Combine(data, "train", "9")))
                return data;
        }
    }
    throw new DirectoryNotFoundException("No data/train/9 above the current folder; pass the training folder as the first argument.");
}

/// <summary>One input row: an image file and whether it is in the positive class's subfolder.</summary>
internal sealed class ImageInput
{
    public string ImagePath { get; set; } = "";
    public bool Label { get; set; }
}
