namespace MlNetCnn.Cli;

/// <summary>A mistake in the user's input (a path, a folder, an option): reported as one line, without a stack trace.</summary>
internal sealed class CliException : Exception
{
    /// <summary>An error whose message says what was wrong, with the value, and what to do.</summary>
    public CliException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}
