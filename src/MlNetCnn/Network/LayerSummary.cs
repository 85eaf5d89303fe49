namespace MlNetCnn.Network;

/// <summary>One layer of a network as a person reads it: name, output shape for one image, trainable parameters.</summary>
/// <param name="Name">Layer name, as in the weight format (e.g. "features.block1.conv").</param>
/// <param name="Kind">Layer kind with its settings (e.g. "Conv2d(3→64, 5×5)").</param>
/// <param name="OutputShape">Output shape for one image, e.g. [64, 60, 60].</param>
/// <param name="Parameters">Trainable parameters of the layer.</param>
public sealed record LayerSummary(string Name, string Kind, IReadOnlyList<int> OutputShape, long Parameters)
{
    /// <inheritdoc />
    public override string ToString() => $"{Name,-24} {Kind,-28} [{string.Join(", ", OutputShape)}]  {Parameters:N0}";
}
