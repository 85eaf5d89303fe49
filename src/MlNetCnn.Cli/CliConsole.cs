using Spectre.Console;

namespace MlNetCnn.Cli;

/// <summary>Where a command writes: plain standard output and error, and a Spectre.Console view of standard output for tables and progress.</summary>
internal sealed class CliConsole
{
    /// <summary>Wraps the two writers; the Spectre view detects colour and interactivity from <paramref name="stdout"/>.</summary>
    public CliConsole(TextWriter stdout, TextWriter stderr, CancellationToken cancellation)
    {
        Out = stdout;
        Error = stderr;
        Cancellation = cancellation;
        Ansi = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(stdout),
            Ansi = AnsiSupport.Detect,
            ColorSystem = ColorSystemSupport.Detect,
            Interactive = InteractionSupport.Detect,
        });
    }

    /// <summary>Standard output.</summary>
    public TextWriter Out { get; }

    /// <summary>Standard error.</summary>
    public TextWriter Error { get; }

    /// <summary>Spectre.Console on standard output.</summary>
    public IAnsiConsole Ansi { get; }

    /// <summary>True when standard output is a terminal that can redraw a live progress bar.</summary>
    public bool IsInteractive => Ansi.Profile.Capabilities.Interactive && !Console.IsOutputRedirected && ReferenceEquals(Out, Console.Out);

    /// <summary>Set by Ctrl+C.</summary>
    public CancellationToken Cancellation { get; }
}
