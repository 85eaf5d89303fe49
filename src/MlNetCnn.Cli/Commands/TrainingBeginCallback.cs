namespace MlNetCnn.Cli.Commands;

/// <summary>Hands the run's context to <paramref name="begin"/> once, when training begins (what the run resolved, such as its precision).</summary>
internal sealed class TrainingBeginCallback(Action<TrainingContext> begin) : ITrainingCallback
{
    public void OnTrainingBegin(TrainingContext context) => begin(context);
}
