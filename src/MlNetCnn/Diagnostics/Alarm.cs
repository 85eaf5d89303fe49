namespace MlNetCnn.Diagnostics;

/// <summary>
/// A sign that training looks healthy but the classifier may be useless. <see cref="Message"/> is one line that
/// starts with <see cref="Code"/>, names the likely cause and says what to do.
/// </summary>
/// <param name="Code">Stable code, e.g. "CNN002" (see <see cref="AlarmCodes"/>).</param>
/// <param name="Severity">Warning, or Error where it stopped training.</param>
/// <param name="Epoch">Epoch it was raised after; 0 for checks before training.</param>
/// <param name="Message">The one-line message, starting with the code.</param>
public sealed record Alarm(string Code, AlarmSeverity Severity, int Epoch, string Message)
{
    /// <inheritdoc />
    public override string ToString() => Message;
}
