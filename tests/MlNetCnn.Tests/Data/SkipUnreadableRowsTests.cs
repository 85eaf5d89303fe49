using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetCnn.Diagnostics;
using MlNetCnn.Tests.Support;

namespace MlNetCnn.Tests.Data;

/// <summary>CnnOptions.SkipUnreadableRows: bad images are left out and counted instead of failing Fit.</summary>
public sealed class SkipUnreadableRowsTests : IDisposable
{
    private const int Rows = 40;
    // A text file named .png, an empty file, a file that is gone.
    private static readonly int[] Broken = [7, 12, 20];

    private readonly MLContext ml = new(seed: 1);
    private readonly TempFolder folder = new();
    private readonly List<PngFolder.Entry> entries;

    public SkipUnreadableRowsTests()
    {
        entries = PngFolder.Write(folder.Path, Rows, seed: 1);
        File.WriteAllText(PathOf(Broken[0]), "not a png");
        File.WriteAllBytes(PathOf(Broken[1]), []);
        File.Delete(PathOf(Broken[2]));
    }

    public void Dispose() => folder.Dispose();

    private string PathOf(int row) => Path.Combine(folder.Path, entries[row].ImagePath);

    private IDataView View(IEnumerable<int> rows) =>
        ml.Data.LoadFromEnumerable(rows.Select(i => new ImagePipelineTests.ImageInput { ImagePath = PathOf(i), Label = entries[i].Label }).ToList());

    private IEnumerable<int> Good => Enumerable.Range(0, Rows).Except(Broken);

    private IEstimator<ITransformer> ImageStages() =>
        ml.Transforms.LoadImages("Image", null, "ImagePath")
            .Append(ml.Transforms.ResizeImages("Image", 36, 36))
            .Append(ml.Transforms.ExtractPixels("Features", "Image", scaleImage: 1f / 255));

    private EstimatorChain<CnnTransformer> Pipeline(CnnOptions options) => ImageStages().Append(new CnnEstimator(ml, options));

    private static CnnOptions Options(bool skip, bool cache = false)
    {
        var options = SyntheticImages.FastOptions(epochs: 2);
        options.SkipUnreadableRows = skip;
        options.CacheImages = cache;
        options.StreamingMemoryBytes = 100_000;
        return options;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Fit_leaves_out_unreadable_images_and_trains_exactly_as_on_the_readable_ones(bool cache)
    {
        var scoring = View(Good.Take(16));

        using var skipping = Pipeline(Options(skip: true, cache)).Fit(View(Enumerable.Range(0, Rows)));
        using var clean = Pipeline(Options(skip: false, cache)).Fit(View(Good));

        var cnn = skipping.LastTransformer;
        Assert.Equal(Broken.Select(p => (RowSet.Training, (long)p)), cnn.Report.UnreadableRows.Select(r => (r.Set, r.Position)));
        Assert.Equal(Broken.Length, cnn.Report.UnreadableRowCount);
        Assert.Empty(clean.LastTransformer.Report.UnreadableRows);
        Assert.Equal(clean.LastTransformer.Report.History.Select(r => r.TrainingLoss), cnn.Report.History.Select(r => r.TrainingLoss));
        Assert.Equal(Scores.Column(clean.Transform(scoring)), Scores.Column(skipping.Transform(scoring)));
    }

    [Fact]
    public void Skipped_rows_raise_CNN009_naming_them_and_the_counts()
    {
        var log = new LogCapture(ml);

        using var model = Pipeline(Options(skip: true)).Fit(View(Enumerable.Range(0, Rows)));

        var alarm = Assert.Single(model.LastTransformer.Report.Alarms, a => a.Code == AlarmCodes.UnreadableRows);
        Assert.Equal(AlarmSeverity.Warning, alarm.Severity);
        Assert.StartsWith("CNN009", alarm.Message);
        Assert.Contains($"{Broken.Length} of {Rows} training rows", alarm.Message);
        foreach (var row in Broken)
            Assert.Contains(entries[row].ImagePath, alarm.Message);
        Assert.Contains(log.Warnings, w => w.Contains("CNN009", StringComparison.Ordinal));
    }

    [Fact]
    public void Without_the_option_the_first_unreadable_image_still_fails_Fit_by_name()
    {
        // Streamed (the default), in chunks of a few rows: the error still names the row and its file.
        var error = Assert.Throws<InvalidOperationException>(() => Pipeline(Options(skip: false)).Fit(View(Enumerable.Range(0, Rows))));

        Assert.Contains($"Row {Broken[0]} (ImagePath = '{PathOf(Broken[0])}')", error.Message);
    }

    [Fact]
    public void CNN009_as_an_error_stops_Fit()
    {
        var options = Options(skip: true);
        options.AlarmsAsErrors.Add(AlarmCodes.UnreadableRows);

        var error = Assert.Throws<CnnTrainingException>(() => Pipeline(options).Fit(View(Enumerable.Range(0, Rows))));

        Assert.Equal(AlarmCodes.UnreadableRows, error.Alarm.Code);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Unreadable_validation_rows_are_left_out_of_every_measurement_and_counted(bool cache)
    {
        var options = Options(skip: true, cache);
        var validationRows = View(Enumerable.Range(0, Rows));
        options.ValidationSet = ImageStages().Fit(validationRows).Transform(validationRows);
        var trainRows = Good.Take(24).ToArray();

        using var model = Pipeline(options).Fit(View(trainRows));

        var history = model.LastTransformer.Report.History;
        Assert.All(history, r => Assert.Equal(Rows - Broken.Length, r.Validation!.Count));
        Assert.Equal(Broken.Select(p => (RowSet.Validation, (long)p)), model.LastTransformer.Report.UnreadableRows.Select(r => (r.Set, r.Position)));
        Assert.Contains($"{Broken.Length} of {Rows} validation rows", Assert.Single(model.LastTransformer.Report.Alarms, a => a.Code == AlarmCodes.UnreadableRows).Message);
    }

    [Fact]
    public void A_held_out_share_is_drawn_from_the_readable_rows_only()
    {
        var options = Options(skip: true);
        options.ValidationFraction = 0.25;

        using var model = Pipeline(options).Fit(View(Enumerable.Range(0, Rows)));

        // 37 readable rows: 19 of one class, 18 of the other; a quarter of each, rounded, is held out
        var readable = Good.Select(i => entries[i].Label).ToArray();
        var expected = (int)Math.Round(readable.Count(l => l) * 0.25) + (int)Math.Round(readable.Count(l => !l) * 0.25);
        Assert.All(model.LastTransformer.Report.History, r => Assert.Equal(expected, r.Validation!.Count));
    }

    [Fact]
    public void When_no_row_can_be_read_Fit_says_so()
    {
        var error = Assert.Throws<ArgumentException>(() => Pipeline(Options(skip: true)).Fit(View(Broken)));

        Assert.Contains($"None of the {Broken.Length} training rows could be read", error.Message);
        Assert.Contains(entries[Broken[0]].ImagePath, error.Message);
    }

    [Fact]
    public void The_unreadable_rows_are_saved_with_the_model()
    {
        using var model = Pipeline(Options(skip: true)).Fit(View(Enumerable.Range(0, Rows)));
        var path = Path.Combine(folder.Path, "model.zip");
        ml.Model.Save(model, null, path);

        var loaded = (TransformerChain<ITransformer>)new MLContext(seed: 2).Model.Load(path, out _);

        var cnn = Assert.IsType<CnnTransformer>(loaded.LastTransformer);
        Assert.Equal(Broken.Length, cnn.Report.UnreadableRows.Count);
        Assert.Equal(model.LastTransformer.Report.UnreadableRows, cnn.Report.UnreadableRows);
        Assert.Equal(model.LastTransformer.Report.UnreadableRows, cnn.WithScoringEngine(ScoringEngine.LibTorch).Report.UnreadableRows);
        Assert.Contains(cnn.Report.Alarms, a => a.Code == AlarmCodes.UnreadableRows);
        cnn.Dispose();
    }

    [Fact]
    public void Each_row_left_out_is_reported_once_for_the_run_with_its_set_and_reason_and_not_on_the_epochs()
    {
        var options = Options(skip: true);
        var validationRows = View(Enumerable.Range(0, Rows));
        options.ValidationSet = ImageStages().Fit(validationRows).Transform(validationRows);
        var seen = new DataReadRecorder();
        options.Callbacks.Add(seen);

        using var model = Pipeline(options).Fit(View(Enumerable.Range(0, Rows)));

        var cnn = model.LastTransformer;
        Assert.Equal(
            Broken.Select(p => (RowSet.Training, (long)p)).Concat(Broken.Select(p => (RowSet.Validation, (long)p))),
            cnn.Report.UnreadableRows.Select(r => (r.Set, r.Position)));
        foreach (var row in cnn.Report.UnreadableRows)
        {
            Assert.Equal($"ImagePath = '{PathOf((int)row.Position)}'", row.Row);
            Assert.False(string.IsNullOrWhiteSpace(row.Reason));
        }
        // Once, before training, to every callback; the epochs say nothing of it.
        var reported = Assert.Single(seen.Reports);
        Assert.Equal(cnn.Report.UnreadableRows, reported);
        Assert.Equal(0, seen.EpochsBeforeReport);
        Assert.Null(typeof(EpochRecord).GetProperty("SkippedRows"));
        Assert.All(cnn.Report.History, r => Assert.DoesNotContain(r.Fields(), f => f.Key == "skippedRows"));
        Assert.All(cnn.Report.History, r => Assert.DoesNotContain("unreadable", r.Describe(2), StringComparison.Ordinal));
    }

    [Fact]
    public void A_callback_that_refuses_the_rows_left_out_stops_Fit_before_training()
    {
        var options = Options(skip: true);
        var seen = new DataReadRecorder { Refuse = true };
        options.Callbacks.Add(seen);

        var error = Assert.Throws<InvalidOperationException>(() => Pipeline(options).Fit(View(Enumerable.Range(0, Rows))));

        Assert.Equal(DataReadRecorder.Refusal, error.Message);
        Assert.Equal(0, seen.Epochs);
    }

    [Fact]
    public void Without_the_option_callbacks_are_told_of_no_row_left_out()
    {
        var options = Options(skip: false);
        var seen = new DataReadRecorder();
        options.Callbacks.Add(seen);

        using var model = Pipeline(options).Fit(View(Good));

        Assert.Empty(Assert.Single(seen.Reports));
        Assert.Empty(model.LastTransformer.Report.UnreadableRows);
    }

    [Fact]
    public void A_checkpoint_keeps_the_rows_left_out_once_and_a_resumed_run_reports_the_same()
    {
        var options = Options(skip: true);
        options.CheckpointFolder = Path.Combine(folder.Path, "checkpoints");
        using var first = Pipeline(options).Fit(View(Enumerable.Range(0, Rows)));

        using (var reader = new BinaryReader(File.OpenRead(Path.Combine(options.CheckpointFolder, "epoch-0002", "state.bin"))))
        {
            Assert.Equal(6, reader.ReadInt32()); // checkpoint format 6
            reader.ReadInt32();
            reader.ReadInt32();
            reader.ReadString();
            reader.ReadDouble();
            for (var tracker = 0; tracker < 2; tracker++)
            {
                reader.ReadBoolean();
                reader.ReadDouble();
                reader.ReadInt32();
                reader.ReadInt32();
            }
            MlNetCnn.Persistence.HistoryFormat.Read(reader, withSkippedRows: true, withTrainingAccuracy: true, out var perEpoch);
            Assert.Equal(0, perEpoch);
            Assert.Equal(first.LastTransformer.Report.UnreadableRows, MlNetCnn.Persistence.HistoryFormat.ReadUnreadable(reader));
        }

        options.Epochs = 3;
        options.ResumeFromCheckpoint = true;
        using var resumed = Pipeline(options).Fit(View(Enumerable.Range(0, Rows)));
        Assert.Equal(3, resumed.LastTransformer.Report.History.Count);
        Assert.Equal(first.LastTransformer.Report.UnreadableRows, resumed.LastTransformer.Report.UnreadableRows);
    }

    private sealed class DataReadRecorder : ITrainingCallback
    {
        public const string Refusal = "refused before training";

        public List<IReadOnlyList<UnreadableRow>> Reports { get; } = [];

        public bool Refuse { get; init; }

        public int Epochs { get; private set; }

        public int EpochsBeforeReport { get; private set; } = -1;

        public void OnDataRead(IReadOnlyList<UnreadableRow> unreadableRows)
        {
            EpochsBeforeReport = Epochs;
            Reports.Add(unreadableRows.ToArray());
            if (Refuse)
                throw new InvalidOperationException(Refusal);
        }

        public void OnEpochEnd(TrainingContext context) => Epochs++;
    }
}
