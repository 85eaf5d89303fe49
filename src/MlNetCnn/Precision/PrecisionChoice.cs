using MlNetCnn.Training;
using MlNetCnn.Native;
using MlNetCnn.Network;
using static TorchSharp.torch;

namespace MlNetCnn.Precisions;

/// <summary>
/// What <see cref="CnnOptions.Precision"/> comes to for one network on this machine, and why (for the log); and what
/// a trained network scores in (<see cref="ForScoring"/>), by the same rule.
/// </summary>
/// <param name="Precision">Float32 or BFloat16, never Auto.</param>
/// <param name="Reason">One sentence for the log.</param>
internal sealed record PrecisionChoice(Precision Precision, string Reason)
{
    // What training and scoring say, refusing a network in a process that lifted the cap.
    private const string LiftedCap = "This process lifted oneDNN's cap for bfloat16 (TorchRuntime.AllowBFloat16Kernels), and there some float32 kernels compute wrong";

    /// <summary>The type the network's convolutions and dense layers compute in.</summary>
    public ScalarType ComputeType => Precision == Precision.BFloat16 ? ScalarType.BFloat16 : ScalarType.Float32;

    /// <summary>
    /// Resolves <paramref name="requested"/> for <paramref name="network"/> and sets its compute type. Mixed precision
    /// is the built-in network's: a custom network (<paramref name="description"/> names it) trains in Float32, Auto
    /// says so, and BFloat16 is refused.
    /// </summary>
    /// <exception cref="ArgumentException">BFloat16 for a custom network, or for layers this machine's bfloat16 kernels compute wrong.</exception>
    public static PrecisionChoice Apply(Precision requested, NetworkModule network, string description)
    {
        if (network.Module is not CnnNetwork cnn)
        {
            if (OneDnnGuard.Lifted)
                throw new ArgumentException(
                    $"{LiftedCap}: the built-in network's layers are checked, " +
                    $"but the {description}'s cannot be. Train it in a process that does not call TorchRuntime.AllowBFloat16Kernels.", nameof(CnnOptions.CustomNetwork));
            if (requested == Precision.BFloat16)
                throw new ArgumentException($"Precision BFloat16 is for the built-in network; the {description} trains in Float32. Set Precision to Float32 or Auto.", nameof(CnnOptions.Precision));
            return new(Precision.Float32, requested == Precision.Float32 ? "Precision Float32." : $"Precision Auto: Float32, as for every custom network ({description}).");
        }
        var choice = Resolve(requested, cnn.Shape, cnn.Geometry);
        cnn.ComputeType = choice.ComputeType;
        return choice;
    }

    /// <summary>
    /// Run before a Fit's (or range test's) first kernel: where <paramref name="requested"/> is BFloat16 or Auto for the
    /// built-in network (<paramref name="shape"/>; null for a custom one) and only MlNetCnn's oneDNN cap keeps this CPU
    /// off its bfloat16 kernels, lifts the cap for the process, as <see cref="TorchRuntime.AllowBFloat16Kernels"/>
    /// does. Not where a kernel already ran (oneDNN fixed its level then), nor for a network with channel counts the
    /// lifted level computes wrong (<see cref="KernelCheck.UnmeasuredChannels"/>). The kernel check of the run's layers
    /// at the lifted level follows in <see cref="Apply"/>. Returns a sentence for the log, or null.
    /// </summary>
    /// <exception cref="ArgumentException">BFloat16 where the cap has to stay: bfloat16 would run many times slower than Float32.</exception>
    public static string? LiftCapFor(Precision requested, NetworkShape? shape, ImageGeometry geometry)
    {
        if (requested == Precision.Float32 || shape is null || !OneDnnGuard.CapIsOurs || !BFloat16Support.CpuHasBFloat16())
            return null;
        var lift = DecideLift(requested, OneDnnGuard.KernelsUsed, KernelCheck.UnmeasuredChannels(shape, geometry));
        if (lift)
            OneDnnGuard.Lift(cpuHasBFloat16: true);
        return lift ? LiftedNote(requested) : null;
    }

    /// <summary>
    /// Whether to lift MlNetCnn's cap for <paramref name="requested"/> (BFloat16 or Auto, on a CPU with bfloat16 that
    /// only the cap keeps off its kernels): not once <paramref name="kernelsUsed"/>, nor for a network with
    /// <paramref name="unmeasuredLayer"/> (null: none). Where it stays, BFloat16 is refused and Auto is Float32.
    /// </summary>
    /// <exception cref="ArgumentException">BFloat16 where the cap stays.</exception>
    internal static bool DecideLift(Precision requested, bool kernelsUsed, string? unmeasuredLayer)
    {
        if (unmeasuredLayer is not null)
            return requested == Precision.BFloat16
                ? throw new ArgumentException(
                    $"Precision BFloat16: {unmeasuredLayer} has channel counts that are not multiples of {KernelCheck.RightChannelMultiple}, and on this machine (it hides its cache sizes) " +
                    $"oneDNN computes such convolutions wrong at the level with bfloat16 kernels ({OneDnnGuard.BFloat16Level}), in float32 too. So MlNetCnn keeps oneDNN at {OneDnnGuard.Capped}, " +
                    $"where bfloat16 has no fast kernels and {SlowerThanFloat32}. Train in Float32 (or Auto, which stays Float32 here), or use channel counts that are multiples of {KernelCheck.RightChannelMultiple}.",
                    nameof(CnnOptions.Precision))
                : false;
        if (kernelsUsed)
            return requested == Precision.BFloat16
                ? throw new ArgumentException(
                    $"Precision BFloat16: the CPU has bfloat16 instructions, but MlNetCnn caps oneDNN at {OneDnnGuard.Capped} on this machine (it hides its cache sizes), and this process has " +
                    $"already run a network under that cap, which oneDNN fixes at its first kernel; there bfloat16 has no fast kernels and {SlowerThanFloat32}. " +
                    "Call TorchRuntime.AllowBFloat16Kernels() at start-up, before the first Fit, FindLearningRate or LibTorch scoring " +
                    $"(or start the process with {OneDnnGuard.Variable}={OneDnnGuard.BFloat16Level}), or train in Float32 (or Auto, which is Float32 here).",
                    nameof(CnnOptions.Precision))
                : false;
        return true;
    }

    // At the AVX2 cap on the bench machine: 14.7 images/s in bfloat16 against 279.7 lifted, at 64×64 end to end.
    private const string SlowerThanFloat32 = "it runs many times slower than Float32 (19× slower than lifted, measured at 64×64)";

    private static string LiftedNote(Precision requested) =>
        $"Precision {requested}: lifted oneDNN's cap from {OneDnnGuard.Capped} (MlNetCnn's on this machine, which hides its cache sizes) to {OneDnnGuard.BFloat16Level} for this process, " +
        "as no network had run yet. From now on every Fit here checks its float32 layers too, and a custom network is refused.";

    /// <summary>Resolves <paramref name="requested"/> for a network of <paramref name="shape"/> on images of <paramref name="geometry"/>, judging this machine.</summary>
    /// <exception cref="ArgumentException">BFloat16 was asked for, and this machine's bfloat16 kernels compute one of the network's layers wrong.</exception>
    public static PrecisionChoice Resolve(Precision requested, NetworkShape shape, ImageGeometry geometry) =>
        Resolve(requested, BFloat16Support.Current(), () => KernelCheck.FirstWrongLayer(shape, geometry, ScalarType.BFloat16),
            OneDnnGuard.Lifted ? () => KernelCheck.FirstWrongLayer(shape, geometry, ScalarType.Float32) : null);

    /// <summary>
    /// Resolves <paramref name="requested"/> given the machine's verdict and checks of the kernels (run only when
    /// needed): of the bfloat16 run's layers, and, where oneDNN's cap was lifted (else null), of every layer in float32.
    /// </summary>
    internal static PrecisionChoice Resolve(Precision requested, BFloat16Support.Verdict machine, Func<string?> wrongBFloat16Layer, Func<string?>? wrongFloat32Layer = null)
    {
        switch (requested)
        {
            case Precision.Float32:
                return Float32(wrongFloat32Layer, "Precision Float32.");
            case Precision.BFloat16:
                if (wrongBFloat16Layer() is { } wrong)
                    throw new ArgumentException(
                        $"Precision BFloat16: this machine's bfloat16 kernels compute {wrong}. Train in Float32 (or Auto, which falls back to it here); " +
                        "on the machine where this was measured, convolutions whose channel counts are multiples of 16 were computed right.", nameof(CnnOptions.Precision));
                return new(Precision.BFloat16, machine.Native
                    ? $"Precision BFloat16 (mixed: bfloat16 convolutions and dense layers, float32 weights): {machine.Reason}."
                    : $"Precision BFloat16 (mixed: bfloat16 convolutions and dense layers, float32 weights), though {machine.Reason}: expect it to be slower than Float32.");
            case Precision.Auto:
                if (!machine.Native)
                    return Float32(wrongFloat32Layer, $"Precision Auto: Float32, because {machine.Reason}.");
                if (wrongBFloat16Layer() is { } fallback)
                    return Float32(wrongFloat32Layer, $"Precision Auto: Float32, because this machine's bfloat16 kernels compute {fallback}.");
                return new(Precision.BFloat16, $"Precision Auto: BFloat16 (mixed), because {machine.Reason} and its bfloat16 kernels compute this network's layers right.");
            default:
                throw new ArgumentOutOfRangeException(nameof(requested), requested, $"Precision must be one of {string.Join(", ", Enum.GetNames<Precision>())}.");
        }
    }

    /// <summary>
    /// What a scorer computes in: <paramref name="requested"/> (Auto: <paramref name="trained"/>, the precision
    /// training resolved to), where <paramref name="engine"/> can and this machine's bfloat16 is native and right for
    /// the network (Auto's rule in <see cref="Resolve(Precision, BFloat16Support.Verdict, Func{string?}, Func{string?})"/>); else
    /// Float32. Never throws for the machine: the engine starts at the first score, where a refusal would come too late.
    /// </summary>
    /// <param name="requested">The scoring precision asked for (<see cref="CnnTransformer.ScoringPrecision"/>).</param>
    /// <param name="trained">Float32 or BFloat16, as training resolved it.</param>
    /// <param name="builtIn">Whether the network is the built-in one, the only one with a mixed-precision forward pass.</param>
    /// <param name="engine">The engine that scores.</param>
    /// <param name="machine">This machine's verdict on bfloat16 (asked only when needed: an engine is made again after each Dispose).</param>
    /// <param name="wrongBFloat16Layer">The kernel check (run only when needed): null, or the layer computed wrong.</param>
    internal static PrecisionChoice ForScoring(Precision requested, Precision trained, bool builtIn, ScoringEngine engine,
        Func<BFloat16Support.Verdict> machine, Func<string?> wrongBFloat16Layer)
    {
        var wanted = requested == Precision.Auto ? trained : requested;
        var asked = requested == Precision.Auto ? "as trained" : "as asked";
        if (wanted != Precision.BFloat16)
            return new(Precision.Float32, $"Scoring in Float32, {asked}.");
        var though = requested == Precision.Auto ? "though it trained in BFloat16" : "though BFloat16 was asked for";
        if (!builtIn)
            return new(Precision.Float32, $"Scoring in Float32, {though}: mixed precision is the built-in network's, and a custom network scores in Float32.");
        if (engine == ScoringEngine.OnnxRuntime)
            return new(Precision.Float32, $"Scoring in Float32, {though}: ONNX Runtime's CPU execution provider has no bfloat16 Conv or Gemm kernels; " +
                "score with ScoringEngine.LibTorch to compute in bfloat16.");
        var verdict = machine();
        if (!verdict.Native)
            return new(Precision.Float32, $"Scoring in Float32, {though}, because {verdict.Reason}.");
        if (wrongBFloat16Layer() is { } wrong)
            return new(Precision.Float32, $"Scoring in Float32, {though}, because this machine's bfloat16 kernels compute {wrong}.");
        return new(Precision.BFloat16, $"Scoring in BFloat16 (mixed), {asked}, because {verdict.Reason} and its bfloat16 kernels compute this network's layers right.");
    }

    /// <summary>
    /// Refuses LibTorch scoring in float32 that a process with oneDNN's cap lifted (<paramref name="lifted"/>) could
    /// compute wrong: a layer of the built-in network its float32 kernels compute wrong
    /// (<paramref name="wrongFloat32Layer"/>, run only then), or a custom network, whose layers cannot be probed. A
    /// bfloat16 choice was probed whole already (its float32 layers included); ONNX Runtime has its own kernels.
    /// </summary>
    /// <exception cref="InvalidOperationException">Such scoring would not be right here; the message names the layer.</exception>
    internal static void CheckScoringUnderLift(PrecisionChoice choice, bool builtIn, ScoringEngine engine, bool lifted, Func<string?> wrongFloat32Layer)
    {
        if (!lifted || engine != ScoringEngine.LibTorch || choice.Precision != Precision.Float32)
            return;
        const string Instead = "Score it with ScoringEngine.OnnxRuntime, or in a process that does not call TorchRuntime.AllowBFloat16Kernels.";
        if (!builtIn)
            throw new InvalidOperationException($"{LiftedCap}: a custom network's layers cannot be checked, so LibTorch does not score it here. {Instead}");
        if (wrongFloat32Layer() is { } wrong)
            throw new InvalidOperationException($"{LiftedCap}: this machine's float32 kernels compute {wrong}, so LibTorch does not score this model here. {Instead}");
    }

    // Under a lifted cap float32 is checked as well: there its kernels compute some channel counts wrong.
    private static PrecisionChoice Float32(Func<string?>? wrongFloat32Layer, string reason)
    {
        if (wrongFloat32Layer?.Invoke() is { } wrong)
            throw new ArgumentException(
                $"Float32 under oneDNN's lifted cap (TorchRuntime.AllowBFloat16Kernels): this machine's float32 kernels compute {wrong}. " +
                "Train this network in a process that does not lift the cap, or choose channel counts that are multiples of 16.", nameof(CnnOptions.Precision));
        return new(Precision.Float32, reason);
    }
}
