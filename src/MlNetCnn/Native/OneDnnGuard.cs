namespace MlNetCnn.Native;

/// <summary>
/// Keeps libtorch's oneDNN off its AVX-512 kernels on machines that hide their cache sizes from the guest, unless the
/// process lifts the cap for bfloat16 before oneDNN's first kernel: by <see cref="TorchRuntime.AllowBFloat16Kernels"/>,
/// or by asking a Fit for BFloat16 or Auto first (<see cref="Precisions.PrecisionChoice.LiftCapFor"/>).
/// </summary>
/// <remarks>
/// Seen on a 2-vCPU AMD EPYC (Zen 5) virtual machine with no <c>/sys/devices/system/cpu/cpu0/cache</c>: oneDNN's
/// AVX-512 convolution kernels (every ISA level from AVX512_CORE up) compute wrong float32 gradients for channel
/// counts that are not multiples of 16, and with two threads the loss of a small network went NaN within three
/// epochs, every time; capped at AVX2 the gradients were right for the counts that failed (not for every count:
/// some that are not multiples of 8 are still wrong there, README, Guarantees). The cap is a default: a process that
/// sets <c>ONEDNN_MAX_CPU_ISA</c> (or the older <c>DNNL_MAX_CPU_ISA</c>) itself keeps its own. oneDNN reads the
/// variable when it creates its first kernel, not when libtorch loads (measured: a bfloat16 convolution ran at the
/// lifted level's speed when the variable was set after loading, before any convolution).
/// </remarks>
internal static class OneDnnGuard
{
    /// <summary>The variable oneDNN reads for its highest instruction set.</summary>
    public const string Variable = "ONEDNN_MAX_CPU_ISA";

    /// <summary>The older name oneDNN also reads.</summary>
    public const string LegacyVariable = "DNNL_MAX_CPU_ISA";

    /// <summary>The cap for MlNetCnn's default on such machines.</summary>
    public const string Capped = "AVX2";

    /// <summary>The level the lift allows: the first with oneDNN's bfloat16 kernels.</summary>
    public const string BFloat16Level = "AVX512_CORE_BF16";

    private const string CacheFolder = "/sys/devices/system/cpu/cpu0/cache";
    private static readonly CapState Process = new((name, value) => NativeEnvironment.Set(name, value));

    /// <summary>Whether this process lifted MlNetCnn's cap for bfloat16: every float32 layer must then be checked too.</summary>
    public static bool Lifted => Process.Lifted;

    /// <summary>Whether MlNetCnn's cap is in place and not lifted: only it keeps oneDNN off a bfloat16 CPU's bfloat16 kernels.</summary>
    public static bool CapIsOurs => Process.CapIsOurs;

    /// <summary>Whether MlNetCnn has run libtorch kernels in this process: the cap can no longer be lifted.</summary>
    public static bool KernelsUsed => Process.KernelsUsed;

    /// <summary>Applies the cap where it is needed; must run before oneDNN's first kernel.</summary>
    public static void Apply()
    {
        if (!OperatingSystem.IsLinux() || Directory.Exists(CacheFolder) || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(LegacyVariable)))
            return;
        if (NativeEnvironment.SetDefault(Variable, Capped))
            Process.NoteCapped();
    }

    /// <summary>Notes that MlNetCnn is about to run libtorch kernels: oneDNN's cap is fixed from then on.</summary>
    public static void NoteKernelsUsed() => Process.NoteKernelsUsed();

    /// <summary>Lifts MlNetCnn's cap for this process, see <see cref="CapState.Lift"/>.</summary>
    public static bool Lift(bool cpuHasBFloat16) => Process.Lift(cpuHasBFloat16);

    /// <summary>
    /// Takes MlNetCnn's cap as the process's own, as if the process had set <see cref="Variable"/> itself: it is never
    /// lifted, by a Fit or by <see cref="TorchRuntime.AllowBFloat16Kernels"/>, and BFloat16 runs under it (slowly).
    /// For the test process, which trains BFloat16 where it is not native to test its mechanics, and custom networks,
    /// which a lifted process refuses; child processes test the lift.
    /// </summary>
    internal static void AdoptCap() => Process.Adopt();

    /// <summary>What a process did with MlNetCnn's cap: whether it set it, ran kernels under it, lifted it.</summary>
    /// <param name="set">Sets an environment variable for native code.</param>
    internal sealed class CapState(Action<string, string> set)
    {
        private readonly object gate = new();
        private bool cappedByUs;
        private bool kernelsUsed;

        /// <summary>Whether the cap was lifted.</summary>
        public bool Lifted { get; private set; }

        /// <summary>Whether MlNetCnn's cap is in place and not lifted.</summary>
        public bool CapIsOurs
        {
            get
            {
                lock (gate)
                    return cappedByUs && !Lifted;
            }
        }

        /// <summary>Whether kernels ran (or were about to) under the cap.</summary>
        public bool KernelsUsed
        {
            get
            {
                lock (gate)
                    return kernelsUsed;
            }
        }

        /// <summary>Takes the cap as the process's own: nothing of MlNetCnn's to lift from now on.</summary>
        public void Adopt()
        {
            lock (gate)
                cappedByUs = false;
        }

        /// <summary>Notes that MlNetCnn set the cap (the process had none of its own).</summary>
        public void NoteCapped()
        {
            lock (gate)
                cappedByUs = true;
        }

        /// <summary>Notes that kernels are about to run: the cap is fixed from then on.</summary>
        public void NoteKernelsUsed()
        {
            lock (gate)
                kernelsUsed = true;
        }

        /// <summary>
        /// Lifts MlNetCnn's cap to <see cref="BFloat16Level"/> when the CPU has bfloat16 instructions
        /// (<paramref name="cpuHasBFloat16"/>); whether the cap is lifted now. Nothing of MlNetCnn's to lift: false.
        /// </summary>
        /// <exception cref="InvalidOperationException">Kernels already ran under the cap.</exception>
        public bool Lift(bool cpuHasBFloat16)
        {
            lock (gate)
            {
                if (Lifted)
                    return true;
                if (!cappedByUs || !cpuHasBFloat16)
                    return false;
                if (kernelsUsed)
                    throw new InvalidOperationException(
                        $"oneDNN's cap ({Variable}={Capped}, MlNetCnn's default on a machine that hides its cache sizes) can no longer be lifted: this process has already " +
                        "run a network, and oneDNN reads its cap once, at its first kernel. Call TorchRuntime.AllowBFloat16Kernels() before the first Fit, FindLearningRate or LibTorch scoring, " +
                        $"or start the process with {Variable}={BFloat16Level}.");
                set(Variable, BFloat16Level);
                Lifted = true;
                return true;
            }
        }
    }
}
