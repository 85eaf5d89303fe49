using System.CommandLine;
using System.Globalization;
using Microsoft.ML;
using MlNetCnn.Cli.Data;
using MlNetCnn.Cli.Reporting;

namespace MlNetCnn.Cli.Commands;

/// <summary>
/// <c>lr-find</c>: the learning-rate range test (<see cref="CnnEstimator.FindLearningRate"/>) on a labelled training
/// folder, with train's image steps and default network (<see cref="TrainSettings"/>); prints the suggested rate and writes <c>lr-find.png</c>.
/// </summary>
internal sealed class LrFindCommand
{
    /// <summary>Name of the plot written into <c>--out</c>.</summary>
    public const string PlotFileName = "lr-find.png";

    private readonly CliConsole console;
    private readonly Option<string> train = new("--train") { Description = "Training folder: labels.csv or two class subfolders.", DefaultValueFactory = _ => TrainSettings.DefaultTrainFolder };
    private readonly Option<string?> positive = CommonOptions.Positive();
    private readonly Option<int> imageSize = new("--image-size") { Description = "Images are resized to this many pixels a side.", DefaultValueFactory = _ => CnnImageOptions.DefaultImageSize };
    private readonly Option<int> batchSize = new("--batch-size") { Description = "Images per step of the range test.", DefaultValueFactory = _ => TrainSettings.DefaultBatchSize };
    private readonly Option<int> seed = new("--seed") { Description = "Seed of the network's weights and of the batches.", DefaultValueFactory = _ => TrainCommand.DefaultSeed };
    private readonly Option<string> output = new("--out") { Description = $"Folder for {PlotFileName}.", DefaultValueFactory = _ => TrainCommand.DefaultOutFolder };
    private readonly Option<string?> network = new("--network") { Description = $"As train's --network: {TrainSettings.BuiltInNetworkName} (default), {TrainSettings.ResidualNetworkName}[:CHANNELS] or {TrainSettings.TorchScriptPrefix}FILE.pt." };

    /// <summary>A command that writes through <paramref name="console"/>.</summary>
    public LrFindCommand(CliConsole console) => this.console = console;

    /// <summary>The System.CommandLine command.</summary>
    public Command Build()
    {
        var command = new Command("lr-find",
            $"Run the learning-rate range test on a training folder; print the suggested learning rate and write {PlotFileName}.")
        {
            train, positive, imageSize, batchSize, seed, output, network,
        };
        command.SetAction(parse => Run(parse.GetValue(train)!, parse.GetValue(positive), parse.GetValue(imageSize), parse.GetValue(batchSize),
            parse.GetValue(seed), parse.GetValue(output)!, TrainSettings.ParseNetwork(parse.GetValue(network))));
        return command;
    }

    private int Run(string trainPath, string? positiveName, int size, int batch, int seedValue, string outFolder, CustomNetwork? custom)
    {
        if (batch < 2)
            throw new CliException($"--batch-size {batch} must be at least 2 (batch normalisation needs two images per step).");
        var shape = new TrainSettings().Network;
        if (custom is null && size < shape.MinimumImageSide)
            throw new CliException($"--image-size {size} is too small for the network ({shape}): it needs at least {shape.MinimumImageSide}.");
        var folder = LabelledFolder.Load(trainPath, positiveName, "training", skipBadImages: false);
        CommonOptions.CheckOutFolder(outFolder);
        console.Out.WriteLine($"Range test on {folder}: images {size}×{size} grey, batch {batch}, seed {seedValue}, " +
            string.Create(CultureInfo.InvariantCulture, $"rates {CnnEstimator.FinderStartRate:G3} to {CnnEstimator.FinderEndRate:G3} over at most {CnnEstimator.FinderMaxBatches} batches."));

        var ml = new MLContext(seedValue);
        var rows = ImagePipeline.Load(ml, folder.Rows);
        var features = ImagePipeline.Create(ml, size).Fit(rows).Transform(rows);
        var options = new CnnOptions
        {
            LabelColumnName = nameof(ImageRow.Label),
            FeatureColumnName = ImagePipeline.FeaturesColumn,
            BatchSize = batch,
            Network = shape,
            CustomNetwork = custom,
            Seed = seedValue,
            CancellationToken = console.Cancellation,
        };
        Diagnostics.LearningRateFinderResult result;
        try
        {
            result = new CnnEstimator(ml, options).FindLearningRate(features);
        }
        catch (ArgumentException e) when (e.ParamName == nameof(CnnOptions.CustomNetwork))
        {
            throw new CliException($"--network {custom}: {e.Message.Split(" (Parameter")[0]}", e);
        }

        var plot = Path.Combine(outFolder, PlotFileName);
        Directory.CreateDirectory(outFolder);
        Plots.WriteLearningRateSearch(plot, result, $"{folder.Rows.Count} images in {trainPath}, {size}×{size}, batch {batch}, seed {seedValue}");
        console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Lowest smoothed loss {result.Curve.Min(p => p.SmoothedLoss):F4} at a learning rate of {result.MinimumLossLearningRate:G3}" +
            $"{(result.StoppedEarly ? "; stopped when the loss blew up" : "")}; {result.Batches} batches in {result.Seconds:F1} s."));
        console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Suggested learning rate: {result.SuggestedLearningRate:G3} ({LearningRateFinderRule}). Train with --lr {result.SuggestedLearningRate:G3}."));
        console.Out.WriteLine($"Wrote {plot}.");
        return CliApp.Success;
    }

    private const string LearningRateFinderRule = Diagnostics.LearningRateFinderResult.SuggestionRule;
}
