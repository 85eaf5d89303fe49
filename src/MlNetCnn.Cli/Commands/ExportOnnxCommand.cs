using System.CommandLine;
using System.Globalization;
using Microsoft.ML;
using MlNetCnn.Cli.Data;

namespace MlNetCnn.Cli.Commands;

/// <summary><c>export-onnx</c>: writes a model.zip's network as an ONNX model that scores without MlNetCnn.</summary>
internal sealed class ExportOnnxCommand
{
    private readonly CliConsole console;
    private readonly Option<string> model = new("--model") { Description = "The model.zip that train wrote.", Required = true };
    private readonly Option<string> output = new("--out") { Description = "The .onnx file to write (atomically; its folder must exist).", Required = true };

    /// <summary>A command that writes through <paramref name="console"/>.</summary>
    public ExportOnnxCommand(CliConsole console) => this.console = console;

    /// <summary>The System.CommandLine command.</summary>
    public Command Build()
    {
        var command = new Command("export-onnx",
            "Write the model's network as ONNX: input Features float [N,C,H,W] (pixels as the model's ExtractPixels gives them), " +
            "outputs Score (logit), Probability and PredictedLabel, each [N]; the image steps and threshold are in its metadata.")
        {
            model, output,
        };
        command.SetAction(parse => Run(parse.GetValue(model)!, parse.GetValue(output)!));
        return command;
    }

    private int Run(string modelPath, string outPath)
    {
        if (Directory.Exists(outPath))
            throw new CliException($"--out '{outPath}' is a folder; name the .onnx file to write.");
        var ml = new MLContext(TrainCommand.DefaultSeed);
        var loaded = ImagePipeline.LoadModel(ml, modelPath);
        try
        {
            loaded.ExportOnnx(outPath);
            var cnn = loaded.FindCnn();
            var g = cnn.Geometry;
            console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Wrote {outPath} ({new FileInfo(outPath).Length / 1024.0 / 1024.0:F1} MB): input Features float [N, {g.Channels}, {g.Height}, {g.Width}]; " +
                $"outputs Score, Probability, PredictedLabel [N]; threshold {cnn.Threshold:R}."));
            return CliApp.Success;
        }
        finally
        {
            (loaded as IDisposable)?.Dispose();
        }
    }
}
