namespace MlNetCnn.Diagnostics;

/// <summary>Training stopped on an alarm: an error alarm, or a warning the options turned into an error.</summary>
public sealed class CnnTrainingException : InvalidOperationException
{
    /// <summary>Wraps <paramref name="alarm"/>; the message is the alarm's message.</summary>
    public CnnTrainingException(Alarm alarm, IReadOnlyList<EpochRecord> history)
        : base(alarm.Message)
    {
        Alarm = alarm;
        History = history;
    }

    /// <summary>The alarm that stopped training.</summary>
    public Alarm Alarm { get; }

    /// <summary>The epochs completed before training stopped.</summary>
    public IReadOnlyList<EpochRecord> History { get; }
}
