namespace MlNetCnn.Diagnostics;

/// <summary>How serious an alarm is.</summary>
public enum AlarmSeverity
{
    /// <summary>Training goes on; the result is suspect.</summary>
    Warning,

    /// <summary>Training stopped.</summary>
    Error,
}
