namespace MlNetCnn;

/// <summary>
/// A row that <see cref="CnnOptions.SkipUnreadableRows"/> left out of a run because its image (or label) could not be
/// read. A run reports each such row once: <see cref="ITrainingCallback.OnDataRead"/>, then
/// <see cref="Diagnostics.TrainingReport.UnreadableRows"/> (saved with the model).
/// </summary>
/// <param name="Set">The input it belongs to: the training data (held-out rows included) or <see cref="CnnOptions.ValidationSet"/>.</param>
/// <param name="Position">Its 0-based position in that input, in cursor order (for a list loaded with LoadFromEnumerable, its index).</param>
/// <param name="Row">Its text columns, e.g. <c>ImagePath = 'a.png'</c> (what names it), or empty when it has none.</param>
/// <param name="Reason">Why it could not be read: the error it would have failed Fit with.</param>
public sealed record UnreadableRow(RowSet Set, long Position, string Row, string Reason)
{
    /// <summary>One line: the row and the reason, e.g. <c>row 7 (ImagePath = 'a.png'): …</c>.</summary>
    public override string ToString() => $"row {Position}{(Row.Length == 0 ? "" : $" ({Row})")}: {Reason}";
}
