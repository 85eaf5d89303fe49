namespace MlNetCnn.Cli.Commands;

/// <summary>Hands the rows the library left out to <paramref name="read"/>, once, after it has read them and before it trains.</summary>
internal sealed class DataReadCallback(Action<IReadOnlyList<UnreadableRow>> read) : ITrainingCallback
{
    public void OnDataRead(IReadOnlyList<UnreadableRow> unreadableRows) => read(unreadableRows);
}
