using System.Diagnostics;
using System.Globalization;
using MlNetCnn.Diagnostics;
using Spectre.Console;

namespace MlNetCnn.Cli.Reporting;

/// <summary>
/// Shows training as it runs. On a terminal: one Spectre.Console progress bar per epoch (batches, images/s, and the
/// time left: of the time budget when there is one, else for the whole run). Elsewhere (redirected output, where a
/// live bar prints nothing): one plain line per epoch, with the time left of a budget.
/// </summary>
/// <remarks>Reports arrive synchronously on the training thread; <see cref="Progress{T}"/> would post them elsewhere and reorder them.</remarks>
internal sealed class TrainingProgressView : IProgress<TrainingProgress>
{
    private readonly CliConsole console;
    private readonly Stopwatch clock = new();
    private double startShare;
    private ProgressContext? live;
    private ProgressTask? task;
    private int taskEpoch;

    /// <summary>A view that writes through <paramref name="console"/>.</summary>
    public TrainingProgressView(CliConsole console) => this.console = console;

    /// <summary>Runs <paramref name="train"/>, with a live progress display when the console allows one.</summary>
    public T Run<T>(Func<T> train)
    {
        if (!console.IsInteractive)
            return train();
        return console.Ansi.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(context =>
            {
                live = context;
                try
                {
                    return train();
                }
                finally
                {
                    live = null;
                }
            });
    }

    /// <summary>The epoch of the first report: 1, or the one after a resumed checkpoint; null before any report.</summary>
    public int? FirstEpoch { get; private set; }

    /// <summary>Takes one report from the trainer.</summary>
    public void Report(TrainingProgress value)
    {
        FirstEpoch ??= value.Epoch;
        if (live is null)
        {
            if (value.Completed is { } record)
                console.Out.WriteLine(record.Describe(value.Epochs) + (value.TimeLeft is { } left ? $"; {Clock(left)} left of the {Clock(value.TimeBudget!.Value)} budget" : ""));
            return;
        }
        if (task is null || taskEpoch != value.Epoch)
        {
            task?.StopTask();
            task = live.AddTask(Label(value), maxValue: Math.Max(1, value.Batches));
            taskEpoch = value.Epoch;
        }
        task.Value = value.Batch;
        task.Description = value.Completed is { } done ? Markup.Escape(Summary(done, value.Epochs)) : Label(value);
        if (value.Completed is not null)
            task.StopTask();
    }

    private string Label(TrainingProgress p)
    {
        // Under a time budget, what is left of it (the epochs are fixed to fill it).
        if (p.TimeLeft is { } left)
            return string.Create(CultureInfo.InvariantCulture,
                $"Epoch {p.Epoch}/{p.Epochs}  batch {p.Batch}/{p.Batches}  {p.ImagesPerSecond:F0} images/s  {Clock(left)} left of {Clock(p.TimeBudget!.Value)}");
        // Time left for the whole run, from the rate since the first report (image loading excluded).
        var share = (p.Epoch - 1 + (double)p.Batch / Math.Max(1, p.Batches)) / p.Epochs;
        if (!clock.IsRunning)
        {
            clock.Start();
            startShare = share;
        }
        var done = share - startShare;
        var eta = done > 0 ? TimeSpan.FromSeconds(clock.Elapsed.TotalSeconds * (1 - share) / done) : (TimeSpan?)null;
        return string.Create(CultureInfo.InvariantCulture,
            $"Epoch {p.Epoch}/{p.Epochs}  batch {p.Batch}/{p.Batches}  {p.ImagesPerSecond:F0} images/s  ETA {(eta is { } t ? t.ToString(@"m\:ss", CultureInfo.InvariantCulture) : "…")}");
    }

    private static string Clock(TimeSpan t) => t.ToString(t.TotalHours >= 1 ? @"h\:mm\:ss" : @"m\:ss", CultureInfo.InvariantCulture);

    /// <summary>A finished epoch, short enough to sit beside its bar.</summary>
    private static string Summary(EpochRecord r, int epochs)
    {
        var line = string.Create(CultureInfo.InvariantCulture, $"Epoch {r.Epoch}/{epochs} done  loss {r.TrainingLoss:F3}");
        if (r.Validation is { } v)
            line += string.Create(CultureInfo.InvariantCulture, $"  valid acc {v.Accuracy:F3}  AUC {v.Auc:F3}");
        return line;
    }
}
