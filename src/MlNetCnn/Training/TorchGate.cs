namespace MlNetCnn.Training;

/// <summary>
/// libtorch's random generator is process-wide: seeding it and drawing the initial weights must happen as one step,
/// or two trainings in parallel would take each other's numbers.
/// </summary>
internal static class TorchGate
{
    public static readonly object Seeding = new();
}
