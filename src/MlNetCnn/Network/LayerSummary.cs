namespace MlNetCnn.Network;

/// <summary>
/// One layer of a network as a person reads it: name, output shape for one image, trainable parameters and the
/// floating-point operations of its forward pass.
/// </summary>
/// <param name="Name">Layer name, as in the weight format (e.g. "features.block1.conv").</param>
/// <param name="Kind">Layer kind with its settings (e.g. "Conv2d(3→64, 5×5)").</param>
/// <param name="OutputShape">Output shape for one image, e.g. [64, 60, 60].</param>
/// <param name="Parameters">Trainable parameters of the layer.</param>
/// <param name="ForwardFlops">
/// Floating-point operations of the forward pass for one image, a multiply-add counted as 2: the weights' products of
/// convolutions and linear layers. Bias additions, batch norm, ReLU and pooling are counted as 0 (together well under
/// 1 % of the total for the default network).
/// </param>
public sealed record LayerSummary(string Name, string Kind, IReadOnlyList<int> OutputShape, long Parameters, long ForwardFlops)
{
    /// <inheritdoc />
    public override string ToString() => $"{Name,-24} {Kind,-28} [{string.Join(", ", OutputShape)}]  {Parameters:N0} parameters  {ForwardFlops:N0} FLOP";
}
