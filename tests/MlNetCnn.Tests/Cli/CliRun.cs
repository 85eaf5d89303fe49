using MlNetCnn.Cli;

namespace MlNetCnn.Tests.Cli;

/// <summary>What one in-process run of the command line printed and returned.</summary>
public sealed record CliRun(int ExitCode, string Out, string Error)
{
    /// <summary>Runs <c>mlnetcnn</c> with <paramref name="args"/> in this process.</summary>
    public static CliRun Of(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = CliApp.Run(args, stdout, stderr);
        return new CliRun(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Fails with both outputs shown unless the run exited 0.</summary>
    public CliRun Succeeded()
    {
        Assert.True(ExitCode == 0, $"exit {ExitCode}\nstdout:\n{Out}\nstderr:\n{Error}");
        return this;
    }

    /// <summary>Fails unless the run exited non-zero with exactly one error line that contains <paramref name="fragment"/>.</summary>
    public CliRun FailedWith(string fragment)
    {
        Assert.True(ExitCode != 0, $"expected a failure; stdout:\n{Out}");
        var lines = Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one line on stderr, got:\n{Error}");
        Assert.StartsWith("mlnetcnn: error: ", lines[0]);
        Assert.Contains(fragment, lines[0]);
        return this;
    }
}
