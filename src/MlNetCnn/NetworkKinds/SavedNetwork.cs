using MlNetCnn.Network;
using MlNetCnn.Precisions;

namespace MlNetCnn.NetworkKinds;

/// <summary>
/// A saved model as a kind reads its network back (the zip format gives it): the images, what the model body and the
/// precision stream say, what the network stream holds after the kind's number, and the state streams, each checked
/// against the body's checksum. A kind checks what it reads and refuses damage with <see cref="Damaged"/>.
/// </summary>
internal abstract class SavedNetwork
{
    /// <summary>The images the network takes.</summary>
    public abstract ImageGeometry Geometry { get; }

    /// <summary>The built-in network's layers as the model body lists them; null for a custom network.</summary>
    public abstract NetworkShape? Shape { get; }

    /// <summary>Rows per forward pass when scoring.</summary>
    public abstract int BatchSize { get; }

    /// <summary>The precision training computed in.</summary>
    public abstract Precision TrainedPrecision { get; }

    /// <summary>The network stream after the kind's number (empty for the built-in network, which has no such stream).</summary>
    public abstract BinaryReader Details { get; }

    /// <summary>
    /// The whole stream <paramref name="stream"/>, no longer than <paramref name="limit"/> bytes, and matching the body's
    /// checksum when the model has one; <paramref name="called"/> names it when it is missing, too long or does not match
    /// ("the weights stream 'CnnWeights'").
    /// </summary>
    public abstract byte[] State(string stream, long limit, string called);

    /// <summary>The network's weights in <paramref name="bytes"/> (TorchSharp's Module.save format); refused as damage when they cannot be read.</summary>
    public NetworkWeights Weights(byte[] bytes)
    {
        try
        {
            return NetworkWeights.Read(bytes);
        }
        catch (InvalidDataException e)
        {
            throw Damaged($"its weights could not be read ({e.Message})", e);
        }
    }

    /// <summary>The refusal of a model damaged as <paramref name="what"/> says.</summary>
    public abstract InvalidDataException Damaged(string what, Exception? inner = null);
}
