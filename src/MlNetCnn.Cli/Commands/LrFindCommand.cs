using System.CommandLine;
using System.Globalization;
using Microsoft.ML;
using MlNetCnn.Cli.Data;
using MlNetCnn.Cli.Reporting;
using MlNetCnn.Cli.Settings;

namespace MlNetCnn.Cli.Commands;

/// <summary>
/// <c>lr-find</c>: the learning-rate range test (<see cref="CnnEstimator.FindLearningRate"/>) on a labelled training
/// folder, with train's settings (<see cref="TrainSettings"/>: its image step, network and defaults); a few of them are
/// flags here, as train's. Prints the suggested rate and writes <c>lr-find.png</c>.
/// </summary>
internal sealed class LrFindCommand
{
    /// <summary>Name of the plot written into <c>--out</c>.</summary>
    public const string PlotFileName = "lr-find.png";

    // The settings of train that are flags of lr-find.
    private static readonly string[] Keys =
    [
        nameof(TrainCommandSettings.Train), nameof(TrainCommandSettings.Positive), nameof(TrainCommandSettings.Out),
        nameof(TrainCommandSettings.ImageSize), nameof(TrainCommandSettings.CustomNetwork), nameof(CnnOptions.BatchSize), nameof(CnnOptions.Seed),
    ];

    private readonly CliConsole console;
    private readonly SettingFlags flags = new(TrainSettings.Catalog, Keys);

    /// <summary>A command that writes through <paramref name="console"/>.</summary>
    public LrFindCommand(CliConsole console) => this.console = console;

    /// <summary>The System.CommandLine command.</summary>
    public Command Build()
    {
        var command = new Command("lr-find",
            $"Run the learning-rate range test on a training folder (train's settings); print the suggested learning rate and write {PlotFileName}.");
        foreach (var option in flags.Options)
            command.Options.Add(option);
        command.SetAction(parse =>
        {
            var settings = new TrainSettings();
            foreach (var (setting, value) in flags.Given(parse))
                settings.Set(setting, value);
            return Run(settings);
        });
        return command;
    }

    private int Run(TrainSettings s)
    {
        var own = s.Command();
        var options = s.Checked(s.ToCnnOptions, o => o.Validate());
        var imageOptions = s.Checked(s.ImageOptions, o => o.Validate());
        var trainPath = own.Train ?? TrainTable.DefaultTrainFolder;
        var folder = LabelledFolder.Load(trainPath, own.Positive, "training", skipBadImages: false);
        var outFolder = own.Out;
        CommonOptions.CheckOutFolder(outFolder);
        var (size, batch, seedValue) = (own.ImageSize, options.BatchSize, options.Seed);

        var ml = new MLContext(seedValue);
        var rows = ImagePipeline.Load(ml, folder.Rows);
        var images = ImagePipeline.Create(ml, imageOptions).Fit(rows);
        if (options.CustomNetwork is null)
            s.Checked(() => options.Network, shape => shape.CheckFits(images.Geometry), nameof(TrainCommandSettings.ImageSize));
        console.Out.WriteLine($"Range test on {folder}: images {images.Describe()}, batch {batch}, seed {seedValue}, " +
            string.Create(CultureInfo.InvariantCulture, $"rates {CnnEstimator.FinderStartRate:G3} to {CnnEstimator.FinderEndRate:G3} over at most {CnnEstimator.FinderMaxBatches} batches."));
        var features = images.Transform(rows);
        // The range test runs on every image of --train (train holds out a share only to measure on it).
        options.ValidationFraction = 0;
        options.CancellationToken = console.Cancellation;
        Diagnostics.LearningRateFinderResult result;
        try
        {
            result = new CnnEstimator(ml, options).FindLearningRate(features);
        }
        catch (ArgumentException e) when (TrainSettings.Catalog.Answering(e.ParamName) is not null)
        {
            throw s.Refusal(e);
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
