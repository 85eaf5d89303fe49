using System.CommandLine;
using MlNetCnn.Cli.Commands;

namespace MlNetCnn.Cli;

/// <summary>
/// The <c>mlnetcnn</c> command line, callable in-process: parses <c>args</c>, runs one command, and turns every
/// failure into one line <c>mlnetcnn: error: …</c> on standard error and a non-zero exit code.
/// </summary>
public static class CliApp
{
    /// <summary>Exit code of a successful run.</summary>
    public const int Success = 0;
    /// <summary>Exit code when the command failed (bad input, unreadable files, failed training).</summary>
    public const int Failure = 1;
    /// <summary>Exit code of a command line that does not parse (System.CommandLine's own).</summary>
    public const int UsageError = 2;
    /// <summary>Exit code when Ctrl+C stopped the command.</summary>
    public const int Cancelled = 130;

    /// <summary>Runs the command line <paramref name="args"/>, writing to <paramref name="stdout"/> and <paramref name="stderr"/>; returns the exit code.</summary>
    /// <param name="args">The command line, without the program's name.</param>
    /// <param name="stdout">Where results go.</param>
    /// <param name="stderr">Where warnings and the error line go.</param>
    /// <param name="cancellation">Stops training between batches (Ctrl+C).</param>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        var console = new CliConsole(stdout, stderr, cancellation);
        var verbose = new Option<bool>("--verbose") { Description = "On error, print the stack trace too.", Recursive = true };
        var root = new RootCommand("Train, evaluate and use a TorchSharp CNN as an ML.NET binary image classifier.")
        {
            verbose,
            new TrainCommand(console).Build(),
            new EvaluateCommand(console).Build(),
            new PredictCommand(console).Build(),
            new ImportIdxCommand(console).Build(),
            new ExportOnnxCommand(console).Build(),
            new LrFindCommand(console).Build(),
        };

        var parsed = root.Parse(args);
        try
        {
            var code = parsed.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
            return parsed.Errors.Count > 0 && code != Success ? UsageError : code;
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            stderr.WriteLine("mlnetcnn: cancelled; nothing was written.");
            return Cancelled;
        }
        catch (Exception e)
        {
            stderr.WriteLine($"mlnetcnn: error: {OneLine(Describe(e))}");
            if (parsed.Errors.Count == 0 && parsed.GetValue(verbose))
                stderr.WriteLine(e);
            return Failure;
        }
    }

    // Library and ML.NET errors are often wrapped (TargetInvocationException, an image loader's InvalidOperationException);
    // the innermost message is the one that names the problem.
    private static string Describe(Exception e)
    {
        if (e is CliException)
            return e.Message;
        var inner = e;
        while (inner is System.Reflection.TargetInvocationException or AggregateException or TypeInitializationException && inner.InnerException is not null)
            inner = inner.InnerException;
        return inner.Message;
    }

    private static string OneLine(string message) =>
        string.Join(" ", message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
