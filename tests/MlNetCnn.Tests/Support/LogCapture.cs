using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace MlNetCnn.Tests.Support;

/// <summary>Collects what an <see cref="MLContext"/> logs from MlNetCnn, with its kind (Info, Warning, Error).</summary>
public sealed class LogCapture
{
    private readonly List<(ChannelMessageKind Kind, string Message)> lines = new();

    public LogCapture(MLContext ml)
    {
        ml.Log += (_, e) =>
        {
            if (e.Source.Contains("Cnn", StringComparison.Ordinal))
                lock (lines) lines.Add((e.Kind, e.RawMessage));
        };
    }

    public IReadOnlyList<string> Warnings => Of(ChannelMessageKind.Warning);

    public IReadOnlyList<string> Errors => Of(ChannelMessageKind.Error);

    public IReadOnlyList<string> Infos => Of(ChannelMessageKind.Info);

    private IReadOnlyList<string> Of(ChannelMessageKind kind)
    {
        lock (lines) return lines.Where(l => l.Kind == kind).Select(l => l.Message).ToList();
    }
}
