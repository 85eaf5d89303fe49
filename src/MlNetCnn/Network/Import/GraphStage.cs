namespace MlNetCnn.Network.Import;

/// <summary>
/// A stage of an imported network: the layers with state whose output has one resolution at the nominal input size
/// (ResNet18 on 224×224: the stem at 112×112, then 56×56, 28×28, 14×14 and 7×7; a dense head is a stage of its
/// own). Fine-tuning "the last N stages" trains the parameters these layers own and freezes the rest.
/// </summary>
/// <param name="Name">"stage1", "stage2", … from the input on.</param>
/// <param name="Height">The resolution's height at the nominal input size; 0 for layers on flat features.</param>
/// <param name="Width">The resolution's width; 0 for layers on flat features.</param>
/// <param name="Channels">The widest output of the stage's layers (channels or features).</param>
/// <param name="Layers">The layers' names, the prefixes of their state in <see cref="OnnxGraphModule"/>.</param>
/// <param name="Parameters">The trainable values the stage holds.</param>
internal sealed record GraphStage(string Name, long Height, long Width, long Channels, IReadOnlyList<string> Layers, long Parameters)
{
    /// <summary>Whether <paramref name="stateName"/> (a parameter or buffer name of <see cref="OnnxGraphModule"/>, e.g. "Convolution249.weight") belongs to this stage.</summary>
    public bool Owns(string stateName)
    {
        var dot = stateName.IndexOf('.');
        return dot > 0 && Layers.Contains(stateName[..dot], StringComparer.Ordinal);
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{Name}: {(Height > 0 ? $"{Height}×{Width}" : "flat")}, {Channels} channels, {Layers.Count} layers, {Parameters:N0} parameters";
}
