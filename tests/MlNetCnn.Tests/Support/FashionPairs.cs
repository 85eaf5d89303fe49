using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetCnn.Tests.Support;

/// <summary>
/// Two real Fashion-MNIST pairs, decoded once per test process into 3×36×36 rows (<see cref="FashionRow"/>, the README's
/// image steps: <see cref="ShippedImages.ImageSteps"/>): the shipped
/// Sneaker/Ankle-boot images (a slice of data/), and the hard T-shirt/Shirt pair (Fixtures/tshirt-shirt, see its README).
/// </summary>
public static class FashionPairs
{
    private static readonly Lazy<FashionPair> shipped = new(() => Load("Sneaker/Ankle boot", ShippedImages.DataFolder, trainTake: 400, validTake: 200));
    private static readonly Lazy<FashionPair> shippedWhole = new(() => Load("Sneaker/Ankle boot", ShippedImages.DataFolder, null, null));
    private static readonly Lazy<FashionPair> tshirtShirt = new(() =>
        Load("T-shirt/Shirt", Path.Combine(Path.GetDirectoryName(ShippedImages.DataFolder)!, "tests", "MlNetCnn.Tests", "Fixtures", "tshirt-shirt"), null, null));

    /// <summary>The first 400 images of data/train and 200 of data/valid (the labels alternate, so about half of each class).</summary>
    public static FashionPair Shipped => shipped.Value;

    /// <summary>All of data/train (1000 images) and data/valid (400).</summary>
    public static FashionPair ShippedWhole => shippedWhole.Value;

    /// <summary>200 training and 100 validation images of T-shirt/top (false) against Shirt (true).</summary>
    public static FashionPair TShirtShirt => tshirtShirt.Value;

    /// <summary>A pair by its short name, for theories: "shipped" or "tshirt".</summary>
    public static FashionPair Named(string name) => name switch
    {
        "shipped" => Shipped,
        "tshirt" => TShirtShirt,
        "shipped-whole" => ShippedWhole,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Use \"shipped\" or \"tshirt\"."),
    };

    private static FashionPair Load(string name, string folder, int? trainTake, int? validTake)
    {
        var ml = new MLContext(seed: 0);
        var steps = ShippedImages.ImageSteps(ml);
        FashionRow[] Read(string split, int? take)
        {
            var rows = File.ReadLines(Path.Combine(folder, split, "labels.csv")).Skip(1).Select(l => l.Split(','))
                .Select(p => new ShippedImages.ImageRow { ImagePath = Path.Combine(folder, split, p[0]), Label = bool.Parse(p[1]) });
            var view = ml.Data.LoadFromEnumerable((take is { } n ? rows.Take(n) : rows).ToList());
            var features = steps.Fit(view).Transform(view);
            var labels = features.GetColumn<bool>("Label").ToArray();
            var pixels = features.GetColumn<float[]>("Features").ToArray();
            return labels.Select((label, i) => new FashionRow { Label = label, Features = pixels[i] }).ToArray();
        }
        return new FashionPair(name, Read("train", trainTake), Read("valid", validTake));
    }
}

/// <summary>A real image pair as in-memory rows: <see cref="Train"/> to fit on, <see cref="Valid"/> to measure.</summary>
public sealed record FashionPair(string Name, IReadOnlyList<FashionRow> Train, IReadOnlyList<FashionRow> Valid)
{
    /// <summary>The training rows as a data view of <paramref name="ml"/>.</summary>
    public IDataView TrainView(MLContext ml) => ml.Data.LoadFromEnumerable(Train);

    /// <summary>The validation rows as a data view of <paramref name="ml"/>.</summary>
    public IDataView ValidView(MLContext ml) => ml.Data.LoadFromEnumerable(Valid);
}

/// <summary>One decoded image of a <see cref="FashionPair"/>: a Boolean label and a 3×36×36 vector in [0, 1].</summary>
public sealed class FashionRow
{
    public bool Label { get; set; }

    [VectorType(3, ShippedImages.Side, ShippedImages.Side)]
    public float[] Features { get; set; } = Array.Empty<float>();
}
