namespace MlNetCnn.Data;

/// <summary>A row whose image vector could not be read, left out because the user asked for that.</summary>
/// <param name="Position">The row's position in cursor order.</param>
/// <param name="Row">The row's text columns (its image path), or empty.</param>
/// <param name="Reason">Why it could not be read.</param>
internal sealed record UnreadableRow(int Position, string Row, string Reason)
{
    /// <summary>One line: the row and the reason.</summary>
    public override string ToString() => $"row {Position}{Row}: {Reason}";
}
