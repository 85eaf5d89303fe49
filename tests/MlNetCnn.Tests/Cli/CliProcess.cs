using System.Diagnostics;

namespace MlNetCnn.Tests.Cli;

/// <summary>The CLI run as a real child process (<c>dotnet MlNetCnn.Cli.dll …</c> from the test's output folder).</summary>
public sealed class CliProcess : IDisposable
{
    private readonly Process process;
    private readonly Task<string> stdout;
    private readonly Task<string> stderr;

    private CliProcess(string[] args, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
                start.Environment.Remove(name);
            else
                start.Environment[name] = value;
        }
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "MlNetCnn.Cli.dll"));
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start.");
        stdout = process.StandardOutput.ReadToEndAsync();
        stderr = process.StandardError.ReadToEndAsync();
    }

    /// <summary>Starts <c>mlnetcnn</c> with <paramref name="args"/>.</summary>
    public static CliProcess Start(params string[] args) => new(args);

    /// <summary>Starts <c>mlnetcnn</c> with <paramref name="args"/>, without the variables <paramref name="unset"/> this process has.</summary>
    public static CliProcess StartWithout(IEnumerable<string> unset, params string[] args) => new(args, unset.ToDictionary(n => n, _ => (string?)null));

    /// <summary>Starts <c>mlnetcnn</c> with <paramref name="args"/>, its environment changed by <paramref name="environment"/> (a null value removes the variable).</summary>
    public static CliProcess StartWith(IReadOnlyDictionary<string, string?> environment, params string[] args) => new(args, environment);

    /// <summary>Starts <c>mlnetcnn</c> with <paramref name="args"/>, without the variables <paramref name="unset"/> and with <paramref name="set"/>.</summary>
    public static CliProcess StartWith(IEnumerable<string> unset, IReadOnlyDictionary<string, string> set, params string[] args) =>
        new(args, unset.Select(n => (n, (string?)null)).Concat(set.Select(p => (p.Key, (string?)p.Value))).ToDictionary(p => p.Item1, p => p.Item2));

    /// <summary>Whether the process has ended.</summary>
    public bool HasExited => process.HasExited;

    /// <summary>Waits for the end (at most <paramref name="timeout"/>) and returns what it printed and its exit code.</summary>
    public async Task<CliRun> WaitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cancel.Token);
        return new CliRun(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Kills the process and its children, as a power cut or <c>kill -9</c> would, and waits until it is gone.</summary>
    public void Kill()
    {
        process.Kill(entireProcessTree: true);
        process.WaitForExit();
    }

    /// <summary>Kills the process if it still runs.</summary>
    public void Dispose()
    {
        if (!process.HasExited)
            Kill();
        process.Dispose();
    }
}
