using MlNetCnn.Network;
using MlNetCnn.Training;

namespace MlNetCnn;

/// <summary>
/// The run's optimiser (Adam), as a <see cref="ITrainingCallback"/> sees it (<see cref="TrainingContext.Optimizer"/>):
/// its parameter groups, each stepping at <see cref="TrainingContext.LearningRate"/> times its own scale. Every
/// parameter starts in one group, <c>all</c>, at scale 1; checkpoints keep the groups.
/// </summary>
public sealed class TrainingOptimizer
{
    private readonly AdamOptimizer adam;

    internal TrainingOptimizer(AdamOptimizer adam) => this.adam = adam;

    /// <summary>The groups, in the order they were made; every parameter is in exactly one.</summary>
    public IReadOnlyList<ParameterGroup> Groups => adam.Groups.Select(g => new ParameterGroup(g, adam)).ToArray();

    /// <summary>
    /// Moves every parameter in <paramref name="part"/> (a parameter-name prefix, as
    /// <see cref="TrainingNetwork.Freeze"/> takes it) into a new group <paramref name="name"/> whose rate is the base
    /// rate times <paramref name="learningRateScale"/>; their Adam moments go with them, and groups left empty are
    /// removed. Throws when the name is taken or nothing is in the part.
    /// </summary>
    public ParameterGroup AddGroup(string name, string part, double learningRateScale)
    {
        ArgumentNullException.ThrowIfNull(part);
        return new ParameterGroup(adam.Split(name, n => NetworkModule.IsIn(n, part), learningRateScale), adam);
    }

    /// <summary>The group <paramref name="name"/>; throws, listing the groups, when there is none.</summary>
    public ParameterGroup this[string name] =>
        Groups.FirstOrDefault(g => g.Name == name)
        ?? throw new KeyNotFoundException($"There is no parameter group '{name}'; the groups are: {string.Join(", ", adam.Groups.Select(g => g.Name))}.");
}
