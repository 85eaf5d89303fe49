using MlNetCnn.Native;
using MlNetCnn.Training;
using MlNetCnn.Precisions;

namespace MlNetCnn.Tests.Precisions;

/// <summary>
/// PrecisionChoice's decision table: what it resolves to given made-up verdicts of the machine (BFloat16Support) and of
/// the kernel check. That the real check finds a wrong layer, and that Fit and scoring act on what it finds, is
/// KernelCheckFaultTests' and ScoringPrecisionTests' to show.
/// </summary>
public sealed class PrecisionChoiceTests
{
    private static readonly BFloat16Support.Verdict Native = new(true, "the CPU has avx512_bf16");
    private static readonly BFloat16Support.Verdict Capped = new(false, "the CPU has avx512_bf16, but oneDNN is capped at AVX2");
    private const string WrongLayer = "features.block2.conv, Conv2d(20→50, 5×5): the BFloat16 input gradient is 30% off";

    [Fact]
    public void Given_a_native_machine_and_no_wrong_layer_Auto_resolves_to_bfloat16()
    {
        var choice = PrecisionChoice.Resolve(Precision.Auto, Native, () => null);
        Assert.Equal(Precision.BFloat16, choice.Precision);
        Assert.Equal(TorchSharp.torch.ScalarType.BFloat16, choice.ComputeType);
    }

    [Fact]
    public void Given_a_machine_that_is_not_native_Auto_resolves_to_float32_without_asking_the_kernel_check()
    {
        var choice = PrecisionChoice.Resolve(Precision.Auto, Capped, () => throw new InvalidOperationException("not to be run"));
        Assert.Equal(Precision.Float32, choice.Precision);
        Assert.Contains("capped at AVX2", choice.Reason);
    }

    [Fact]
    public void Given_a_wrong_layer_from_the_kernel_check_Auto_resolves_to_float32_naming_it()
    {
        var choice = PrecisionChoice.Resolve(Precision.Auto, Native, () => WrongLayer);
        Assert.Equal(Precision.Float32, choice.Precision);
        Assert.Contains(WrongLayer, choice.Reason);
    }

    [Fact]
    public void Given_a_wrong_layer_from_the_kernel_check_BFloat16_is_refused_naming_it()
    {
        var error = Assert.Throws<ArgumentException>(() => PrecisionChoice.Resolve(Precision.BFloat16, Native, () => WrongLayer));
        Assert.Equal(nameof(CnnOptions.Precision), error.ParamName);
        Assert.Contains(WrongLayer, error.Message);
    }

    [Fact]
    public void Given_a_machine_that_is_not_native_and_no_wrong_layer_BFloat16_resolves_to_bfloat16_saying_it_will_be_slower()
    {
        var choice = PrecisionChoice.Resolve(Precision.BFloat16, Capped, () => null);
        Assert.Equal(Precision.BFloat16, choice.Precision);
        Assert.Contains("slower than Float32", choice.Reason);
    }

    [Fact]
    public void Float32_resolves_without_asking_the_kernel_check()
    {
        var choice = PrecisionChoice.Resolve(Precision.Float32, Native, () => throw new InvalidOperationException("not to be run"));
        Assert.Equal(Precision.Float32, choice.Precision);
    }

    private static readonly Func<BFloat16Support.Verdict> NotToBeAsked = () => throw new InvalidOperationException("not to be asked");
    private static readonly Func<string?> NotToBeRun = () => throw new InvalidOperationException("not to be run");

    [Fact]
    public void Given_a_native_machine_and_no_wrong_layer_LibTorch_scores_a_bfloat16_training_in_bfloat16()
    {
        var choice = PrecisionChoice.ForScoring(Precision.Auto, Precision.BFloat16, builtIn: true, ScoringEngine.LibTorch, () => Native, () => null);
        Assert.Equal(Precision.BFloat16, choice.Precision);
        Assert.Equal(TorchSharp.torch.ScalarType.BFloat16, choice.ComputeType);
        Assert.StartsWith("Scoring in BFloat16 (mixed), as trained, because the CPU has avx512_bf16", choice.Reason);
    }

    [Fact]
    public void Given_a_machine_that_is_not_native_a_bfloat16_training_scores_in_float32_without_asking_the_kernel_check()
    {
        var choice = PrecisionChoice.ForScoring(Precision.Auto, Precision.BFloat16, builtIn: true, ScoringEngine.LibTorch, () => Capped, NotToBeRun);
        Assert.Equal(Precision.Float32, choice.Precision);
        Assert.Equal($"Scoring in Float32, though it trained in BFloat16, because {Capped.Reason}.", choice.Reason);
    }

    [Fact]
    public void Given_a_wrong_layer_from_the_kernel_check_scoring_falls_back_to_float32_naming_it()
    {
        var choice = PrecisionChoice.ForScoring(Precision.Auto, Precision.BFloat16, builtIn: true, ScoringEngine.LibTorch, () => Native, () => WrongLayer);
        Assert.Equal(Precision.Float32, choice.Precision);
        Assert.Contains(WrongLayer, choice.Reason);
    }

    [Fact]
    public void Onnx_Runtime_scores_in_float32_without_asking_the_machine_or_the_kernel_check_and_names_the_engine_that_would_not()
    {
        var choice = PrecisionChoice.ForScoring(Precision.Auto, Precision.BFloat16, builtIn: true, ScoringEngine.OnnxRuntime, NotToBeAsked, NotToBeRun);
        Assert.Equal(Precision.Float32, choice.Precision);
        Assert.Contains("ONNX Runtime's CPU execution provider has no bfloat16 Conv or Gemm kernels", choice.Reason);
        Assert.Contains("ScoringEngine.LibTorch", choice.Reason);
    }

    [Fact]
    public void A_custom_network_scores_in_float32_even_when_bfloat16_is_asked_for()
    {
        var choice = PrecisionChoice.ForScoring(Precision.BFloat16, Precision.Float32, builtIn: false, ScoringEngine.LibTorch, NotToBeAsked, NotToBeRun);
        Assert.Equal(Precision.Float32, choice.Precision);
        Assert.Contains("though BFloat16 was asked for", choice.Reason);
        Assert.Contains("custom network", choice.Reason);
    }

    [Theory]
    [InlineData(Precision.Auto, Precision.Float32, "Scoring in Float32, as trained.")]
    [InlineData(Precision.Float32, Precision.BFloat16, "Scoring in Float32, as asked.")]
    public void Scoring_in_float32_asked_for_or_trained_in_neither_asks_the_machine_nor_runs_the_check(Precision requested, Precision trained, string reason)
    {
        var choice = PrecisionChoice.ForScoring(requested, trained, builtIn: true, ScoringEngine.LibTorch, NotToBeAsked, NotToBeRun);
        Assert.Equal(Precision.Float32, choice.Precision);
        Assert.Equal(reason, choice.Reason);
    }

    [Fact]
    public void Given_a_native_machine_and_no_wrong_layer_BFloat16_asked_for_scores_a_float32_training_in_bfloat16()
    {
        var choice = PrecisionChoice.ForScoring(Precision.BFloat16, Precision.Float32, builtIn: true, ScoringEngine.LibTorch, () => Native, () => null);
        Assert.Equal(Precision.BFloat16, choice.Precision);
        Assert.StartsWith("Scoring in BFloat16 (mixed), as asked", choice.Reason);
    }

    [Fact]
    public void An_undefined_precision_is_refused_by_validate()
    {
        var options = new CnnOptions { Precision = (Precision)7 };
        var error = Assert.Throws<ArgumentOutOfRangeException>(options.Validate);
        Assert.Equal(nameof(CnnOptions.Precision), error.ParamName);
    }

    private const string WrongFloat32Layer = "features.block1.conv, Conv2d(3→20, 5×5) on 36×36: the Float32 input gradient is 25% off";

    [Fact]
    public void Given_a_wrong_float32_layer_under_a_lifted_cap_Float32_is_refused_naming_it()
    {
        var error = Assert.Throws<ArgumentException>(() => PrecisionChoice.Resolve(Precision.Float32, Native, () => null, () => WrongFloat32Layer));
        Assert.Equal(nameof(CnnOptions.Precision), error.ParamName);
        Assert.Contains(WrongFloat32Layer, error.Message);
        Assert.Contains("AllowBFloat16Kernels", error.Message);

        Assert.Equal(Precision.Float32, PrecisionChoice.Resolve(Precision.Float32, Native, () => null, () => null).Precision);
    }

    [Fact]
    public void Given_wrong_layers_under_a_lifted_cap_Auto_falls_back_to_float32_only_where_the_float32_check_finds_none()
    {
        Assert.Throws<ArgumentException>(() => PrecisionChoice.Resolve(Precision.Auto, Native, () => WrongLayer, () => WrongFloat32Layer));
        var choice = PrecisionChoice.Resolve(Precision.Auto, Native, () => WrongLayer, () => null);
        Assert.Equal(Precision.Float32, choice.Precision);
        // BFloat16 itself needs no float32 check beyond its own run's layers.
        Assert.Equal(Precision.BFloat16, PrecisionChoice.Resolve(Precision.Auto, Native, () => null, () => throw new InvalidOperationException("not to be run")).Precision);
    }

    [Fact]
    public void Without_a_lift_float32_runs_no_kernel_check()
    {
        var choice = PrecisionChoice.Resolve(Precision.Float32, Capped, () => throw new InvalidOperationException("not to be run"), null);
        Assert.Equal(Precision.Float32, choice.Precision);
    }

    [Fact]
    public void Given_a_wrong_float32_layer_or_a_custom_network_under_a_lifted_cap_LibTorch_float32_scoring_is_refused()
    {
        var float32 = new PrecisionChoice(Precision.Float32, "Scoring in Float32, as trained.");

        var wrong = Assert.Throws<InvalidOperationException>(() =>
            PrecisionChoice.CheckScoringUnderLift(float32, builtIn: true, ScoringEngine.LibTorch, lifted: true, () => WrongFloat32Layer));
        Assert.Contains(WrongFloat32Layer, wrong.Message);
        Assert.Contains("ScoringEngine.OnnxRuntime", wrong.Message);
        var custom = Assert.Throws<InvalidOperationException>(() =>
            PrecisionChoice.CheckScoringUnderLift(float32, builtIn: false, ScoringEngine.LibTorch, lifted: true, () => throw new InvalidOperationException("not to be run")));
        Assert.Contains("custom network", custom.Message);

        // Right layers, no lift, ONNX Runtime, or a bfloat16 choice (probed whole already): nothing to refuse.
        PrecisionChoice.CheckScoringUnderLift(float32, builtIn: true, ScoringEngine.LibTorch, lifted: true, () => null);
        PrecisionChoice.CheckScoringUnderLift(float32, builtIn: false, ScoringEngine.LibTorch, lifted: false, () => throw new InvalidOperationException("not to be run"));
        PrecisionChoice.CheckScoringUnderLift(float32, builtIn: false, ScoringEngine.OnnxRuntime, lifted: true, () => throw new InvalidOperationException("not to be run"));
        PrecisionChoice.CheckScoringUnderLift(new(Precision.BFloat16, "Scoring in BFloat16."), builtIn: true, ScoringEngine.LibTorch, lifted: true,
            () => throw new InvalidOperationException("not to be run"));
    }

    [Fact]
    public void Where_only_MlNetCnns_cap_stands_in_the_way_and_no_network_ran_BFloat16_and_Auto_lift_it()
    {
        Assert.True(PrecisionChoice.DecideLift(Precision.BFloat16, kernelsUsed: false, unmeasuredLayer: null));
        Assert.True(PrecisionChoice.DecideLift(Precision.Auto, kernelsUsed: false, unmeasuredLayer: null));
    }

    [Fact]
    public void Once_a_network_ran_under_the_cap_BFloat16_is_refused_saying_what_to_call_first_and_Auto_keeps_float32()
    {
        var error = Assert.Throws<ArgumentException>(() => PrecisionChoice.DecideLift(Precision.BFloat16, kernelsUsed: true, unmeasuredLayer: null));

        Assert.Equal(nameof(CnnOptions.Precision), error.ParamName);
        Assert.Contains("Call TorchRuntime.AllowBFloat16Kernels() at start-up", error.Message);
        Assert.Contains("ONEDNN_MAX_CPU_ISA=AVX512_CORE_BF16", error.Message);
        Assert.False(PrecisionChoice.DecideLift(Precision.Auto, kernelsUsed: true, unmeasuredLayer: null));
    }

    [Fact]
    public void A_network_with_channel_counts_the_lifted_level_computes_wrong_keeps_the_cap()
    {
        const string Layer = "features.block1.conv, Conv2d(3→20)";

        var error = Assert.Throws<ArgumentException>(() => PrecisionChoice.DecideLift(Precision.BFloat16, kernelsUsed: false, Layer));

        Assert.Equal(nameof(CnnOptions.Precision), error.ParamName);
        Assert.Contains(Layer, error.Message);
        Assert.Contains("multiples of 16", error.Message);
        Assert.False(PrecisionChoice.DecideLift(Precision.Auto, kernelsUsed: false, Layer));
    }
}
