using System.Runtime.InteropServices;
using System.Security.Cryptography;
using static TorchSharp.torch;

namespace MlNetCnn.Network;

/// <summary>
/// A frozen backbone's features by image content (the SHA-256 of the image's values), so that an image seen again —
/// the same training image next epoch, a validation image every epoch — costs a look-up. Bounded in bytes: past the
/// bound, new images are computed and not kept. Plain managed memory; not saved with a model.
/// </summary>
internal sealed class FeatureCache(long maxBytes)
{
    private readonly Dictionary<UInt128, float[]> entries = new();
    private long bytes;

    /// <summary>Images whose features came from the cache.</summary>
    public long Hits { get; private set; }

    /// <summary>Images whose features were computed.</summary>
    public long Misses { get; private set; }

    /// <summary>Images held.</summary>
    public int Count => entries.Count;

    /// <summary>The features of each image of <paramref name="images"/>, computing the unseen ones with <paramref name="compute"/> in one batch.</summary>
    public Tensor Features(Tensor images, Func<Tensor, Tensor> compute)
    {
        var n = (int)images.shape[0];
        var size = (int)(images.numel() / Math.Max(n, 1));
        var values = images.cpu().contiguous().data<float>().ToArray();
        var keys = new UInt128[n];
        var missing = new List<long>();
        for (var i = 0; i < n; i++)
        {
            keys[i] = Key(values.AsSpan(i * size, size));
            if (!entries.ContainsKey(keys[i]))
                missing.Add(i);
        }
        var computed = new Dictionary<UInt128, float[]>();
        var width = 0;
        if (missing.Count > 0)
        {
            using var index = tensor(missing.ToArray());
            using var subset = images.index_select(0, index);
            using var features = compute(subset);
            width = (int)features.shape[1];
            var flat = features.cpu().contiguous().data<float>().ToArray();
            for (var k = 0; k < missing.Count; k++)
            {
                var row = flat.AsSpan(k * width, width).ToArray();
                computed[keys[missing[k]]] = row;
                if (bytes + row.Length * sizeof(float) <= maxBytes && entries.TryAdd(keys[missing[k]], row))
                    bytes += row.Length * sizeof(float);
            }
        }
        var rows = new float[n][];
        for (var i = 0; i < n; i++)
            rows[i] = computed.TryGetValue(keys[i], out var row) ? row : entries[keys[i]];
        Misses += missing.Count;
        Hits += n - missing.Count;
        width = rows[0].Length;
        var all = new float[n * width];
        for (var i = 0; i < n; i++)
            rows[i].CopyTo(all, i * width);
        return tensor(all, new long[] { n, width });
    }

    private static UInt128 Key(ReadOnlySpan<float> image)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(MemoryMarshal.AsBytes(image), hash);
        return MemoryMarshal.Read<UInt128>(hash);
    }
}
