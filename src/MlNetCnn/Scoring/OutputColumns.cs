using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetCnn.Diagnostics;

namespace MlNetCnn.Scoring;

/// <summary>The three columns a <see cref="CnnTransformer"/> adds, and how each is derived from the logit.</summary>
internal static class OutputColumns
{
    public const int Count = 3;
    public const int Score = 0;
    public const int Probability = 1;
    public const int PredictedLabel = 2;

    // ML.NET's own binary classifiers mark their outputs this way; evaluators and tools read the marks.
    private const string ScoreColumnKind = "ScoreColumnKind";
    private const string ScoreValueKind = "ScoreValueKind";
    private const string BinaryClassification = "BinaryClassification";

    /// <summary>The input schema's columns, then Score, Probability and PredictedLabel (hiding same-named inputs).</summary>
    public static DataViewSchema Build(DataViewSchema input, DataViewSchema.Column featureColumn)
    {
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(input);
        builder.AddColumn(CnnTransformer.ScoreColumnName, NumberDataViewType.Single, Marks("Score"));
        builder.AddColumn(CnnTransformer.ProbabilityColumnName, NumberDataViewType.Single, Marks("Probability"));
        builder.AddColumn(CnnTransformer.PredictedLabelColumnName, BooleanDataViewType.Instance, Marks("PredictedLabel"));
        return builder.ToSchema();
    }

    /// <summary>Which of the three output columns <paramref name="columns"/> asks for, by output-column offset.</summary>
    public static bool[] Active(IEnumerable<DataViewSchema.Column> columns, int inputCount)
    {
        var active = new bool[Count];
        foreach (var column in columns)
        {
            if (column.Index >= inputCount && column.Index < inputCount + Count)
                active[column.Index - inputCount] = true;
        }
        return active;
    }

    /// <summary>A getter for output column <paramref name="offset"/> that reads the current row's logit.</summary>
    public static Delegate Getter(int offset, Func<float> logit, float threshold) => offset switch
    {
        Score => (ValueGetter<float>)((ref float value) => value = logit()),
        Probability => (ValueGetter<float>)((ref float value) => value = BinaryMetrics.Sigmoid(logit())),
        PredictedLabel => (ValueGetter<bool>)((ref bool value) => value = BinaryMetrics.Sigmoid(logit()) >= threshold),
        _ => throw new ArgumentOutOfRangeException(nameof(offset)),
    };

    /// <summary>Whether <paramref name="column"/> of the output is active: an input column as <paramref name="source"/> says, an output column as <paramref name="active"/> says.</summary>
    public static bool IsActive(DataViewSchema.Column column, DataViewSchema input, DataViewRow source, bool[] active) =>
        column.Index < input.Count ? source.IsColumnActive(input[column.Index]) : active[column.Index - input.Count];

    /// <summary>The getter of output <paramref name="column"/>: passed through from <paramref name="source"/>, or one of <paramref name="getters"/>.</summary>
    public static ValueGetter<T> GetGetter<T>(DataViewSchema.Column column, DataViewSchema input, DataViewRow source, bool[] active, Delegate[] getters)
    {
        if (column.Index < input.Count)
            return source.GetGetter<T>(input[column.Index]);
        if (!active[column.Index - input.Count])
            throw new InvalidOperationException($"Column '{column.Name}' was not requested.");
        return getters[column.Index - input.Count] as ValueGetter<T> ?? throw new InvalidOperationException(
            $"Column '{column.Name}' is {column.Type}; a getter of {typeof(T).Name} was asked for.");
    }

    private static DataViewSchema.Annotations Marks(string valueKind)
    {
        var annotations = new DataViewSchema.Annotations.Builder();
        annotations.Add(ScoreColumnKind, TextDataViewType.Instance, (ref ReadOnlyMemory<char> v) => v = BinaryClassification.AsMemory());
        annotations.Add(ScoreValueKind, TextDataViewType.Instance, (ref ReadOnlyMemory<char> v) => v = valueKind.AsMemory());
        return annotations.ToAnnotations();
    }
}
