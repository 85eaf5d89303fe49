using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetCnn.Tasks;

namespace MlNetCnn.Data;

/// <summary>Checks the input columns first, with messages that name the column, what was expected and what was found.</summary>
internal static class ColumnChecks
{
    /// <summary>The feature column's image geometry, from its dimensions or from the options; throws when it has none or they disagree.</summary>
    public static ImageGeometry FeatureGeometry(DataViewSchema schema, CnnOptions options)
    {
        var column = Find(schema, options.FeatureColumnName, "feature");
        if (column.Type is not VectorDataViewType { ItemType: NumberDataViewType } vector || vector.ItemType != NumberDataViewType.Single || !vector.IsKnownSize)
            throw new ArgumentOutOfRangeException(nameof(schema),
                $"Column '{column.Name}' is {Describe(column.Type)}; CnnEstimator needs a known-size vector of Single (C×H×W pixel values). " +
                "Make it with mlContext.Transforms.ExtractPixels after LoadImages and ResizeImages.");

        ImageGeometry? stated = options.ImageChannels is int c && options.ImageHeight is int h && options.ImageWidth is int w
            ? new ImageGeometry(c, h, w)
            : null;
        ImageGeometry? fromColumn = vector.Dimensions.Length == 3
            ? new ImageGeometry(vector.Dimensions[0], vector.Dimensions[1], vector.Dimensions[2])
            : null;

        if (stated is { } s)
        {
            if (s.Size != vector.Size)
                throw new ArgumentOutOfRangeException(nameof(schema),
                    $"Column '{column.Name}' holds {vector.Size} values per row, but the stated geometry {s} needs {s.Size}.");
            if (fromColumn is { } f && f != s)
                throw new ArgumentOutOfRangeException(nameof(schema),
                    $"Column '{column.Name}' has dimensions {f}, but the options state {s}.");
            return s;
        }
        return fromColumn ?? throw new ArgumentOutOfRangeException(nameof(schema),
            $"Column '{column.Name}' is a vector of {vector.Size} Single values with no image dimensions (C×H×W); " +
            "state them with CnnOptions.ImageChannels, ImageHeight and ImageWidth.");
    }

    /// <summary>Throws unless the label column exists and is of a type <paramref name="task"/> takes.</summary>
    public static void CheckLabel(DataViewSchema schema, string labelColumnName, CnnTask task) =>
        task.CheckLabel(Find(schema, labelColumnName, "label"));

    /// <summary>The estimator-time form of the checks, on a <see cref="SchemaShape"/> (which knows no vector sizes).</summary>
    public static void Check(SchemaShape shape, CnnOptions options, CnnTask task)
    {
        if (!shape.TryFindColumn(options.LabelColumnName, out var label))
            throw new ArgumentOutOfRangeException(nameof(shape), Missing(options.LabelColumnName, "label", shape.Select(c => c.Name)));
        task.CheckLabel(label);

        if (!shape.TryFindColumn(options.FeatureColumnName, out var features))
            throw new ArgumentOutOfRangeException(nameof(shape), Missing(options.FeatureColumnName, "feature", shape.Select(c => c.Name)));
        if (features.Kind != SchemaShape.Column.VectorKind.Vector || features.ItemType != NumberDataViewType.Single)
            throw new ArgumentOutOfRangeException(nameof(shape),
                $"Column '{features.Name}' is a {features.Kind} of {features.ItemType}; CnnEstimator needs a known-size vector of Single (C×H×W pixel values).");
    }

    private static DataViewSchema.Column Find(DataViewSchema schema, string name, string role) =>
        schema.GetColumnOrNull(name) ?? throw new ArgumentOutOfRangeException(nameof(schema), Missing(name, role, schema.Where(c => !c.IsHidden).Select(c => c.Name)));

    private static string Missing(string name, string role, IEnumerable<string> available) =>
        $"The input has no {role} column '{name}'. Columns present: {string.Join(", ", available.Distinct().Select(n => $"'{n}'"))}. " +
        $"Name the right one with CnnOptions.{(role == "label" ? "LabelColumnName" : "FeatureColumnName")}.";

    /// <summary>A column type as messages name it.</summary>
    public static string Describe(DataViewType type) => type switch
    {
        VectorDataViewType { IsKnownSize: false } v => $"a variable-size vector of {v.ItemType}",
        VectorDataViewType v => $"a vector of {v.Size} {v.ItemType}",
        _ => type.ToString() ?? type.GetType().Name,
    };
}
