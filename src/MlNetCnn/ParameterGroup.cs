using MlNetCnn.Training;

namespace MlNetCnn;

/// <summary>A named set of parameters that the optimiser steps at its own learning rate (<see cref="TrainingOptimizer"/>).</summary>
public sealed class ParameterGroup
{
    private readonly AdamOptimizer.Group group;
    private readonly AdamOptimizer adam;

    internal ParameterGroup(AdamOptimizer.Group group, AdamOptimizer adam)
    {
        this.group = group;
        this.adam = adam;
    }

    /// <summary>The group's name.</summary>
    public string Name => group.Name;

    /// <summary>The names of its parameters.</summary>
    public IReadOnlyList<string> ParameterNames => group.Members.Select(i => adam.ParameterNames[i]).ToArray();

    /// <summary>Its learning rate over the base rate (<see cref="TrainingContext.LearningRate"/>); 0 stops its steps.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The scale is negative, NaN or infinite.</exception>
    public double LearningRateScale
    {
        get => group.Scale;
        set
        {
            if (!(value >= 0) || double.IsInfinity(value))
                throw new ArgumentOutOfRangeException(nameof(value), value, "A group's learning-rate scale must be 0 or a positive finite number.");
            group.Scale = value;
        }
    }

    /// <summary>The rate its next step takes: the base rate times <see cref="LearningRateScale"/>.</summary>
    public double LearningRate => adam.LearningRate * group.Scale;
}
