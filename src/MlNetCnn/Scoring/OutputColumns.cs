using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetCnn.Tasks;

namespace MlNetCnn.Scoring;

/// <summary>The columns a <see cref="CnnTransformer"/> adds after its input's (the task says which), and how a cursor serves them.</summary>
internal static class OutputColumns
{
    /// <summary>The input schema's columns, then the task's output columns (hiding same-named inputs).</summary>
    public static DataViewSchema Build(DataViewSchema input, CnnTask task)
    {
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(input);
        task.AddOutputColumns(builder);
        return builder.ToSchema();
    }

    /// <summary>Which of the task's output columns <paramref name="columns"/> asks for, by output-column offset.</summary>
    public static bool[] Active(IEnumerable<DataViewSchema.Column> columns, int inputCount, CnnTask task)
    {
        var count = task.OutputColumnNames.Count;
        var active = new bool[count];
        foreach (var column in columns)
        {
            if (column.Index >= inputCount && column.Index < inputCount + count)
                active[column.Index - inputCount] = true;
        }
        return active;
    }

    /// <summary>Getters for every output column of <paramref name="task"/>, each reading the current row's outputs.</summary>
    public static Delegate[] Getters(CnnTask task, Func<float[]> outputs, float threshold) =>
        Enumerable.Range(0, task.OutputColumnNames.Count).Select(i => task.Getter(i, outputs, threshold)).ToArray();

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
}
