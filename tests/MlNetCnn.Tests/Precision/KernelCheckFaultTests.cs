using Microsoft.ML;
using MlNetCnn.Native;
using MlNetCnn.Network;
using MlNetCnn.Precisions;
using MlNetCnn.Tests.Support;
using static TorchSharp.torch;

namespace MlNetCnn.Tests.Precisions;

/// <summary>
/// The real kernel check (<see cref="KernelCheck"/>), not a made-up verdict: it finds this machine's kernels right for
/// the tests' network, and it reports a layer made to compute wrong (<see cref="LayerFault"/>: its output or a
/// gradient 10 % off, as the wrong kernels measured were), naming it, directly and through Fit. Through scoring:
/// ScoringPrecisionTests (a child process, where oneDNN may use its bfloat16 kernels).
/// </summary>
public sealed class KernelCheckFaultTests
{
    private static readonly ImageGeometry Geometry = new(1, ImageRow.Side, ImageRow.Side);

    public KernelCheckFaultTests() => TorchRuntime.EnsureLoaded();

    [Fact]
    public void The_real_check_finds_the_tests_small_network_right_in_bfloat16_and_float32_on_this_machine()
    {
        Assert.Null(KernelCheck.FirstWrongLayer(SyntheticImages.SmallNetwork, Geometry, ScalarType.BFloat16));
        Assert.Null(KernelCheck.FirstWrongLayer(SyntheticImages.SmallNetwork, Geometry, ScalarType.Float32));
    }

    // SmallNetwork on 1×36×36: conv 1→16 on 36×36, 16→16 on 16×16 (both bfloat16), 16→16 on 6×6 (2×2 outputs: float32,
    // MixedPrecision.MinimumConvolutionOutputPixels), then Linear(16→16) and Linear(16→1), both bfloat16.
    [Theory]
    [InlineData("features.block1.conv", "Output", "features.block1.conv, Conv2d(1→16, 5×5) on 36×36: the BFloat16 output is")]
    [InlineData("features.block2.conv", "Output", "features.block2.conv, Conv2d(16→16, 5×5) on 16×16: the BFloat16 output is")]
    [InlineData("features.block2.conv", "Gradient", "features.block2.conv, Conv2d(16→16, 5×5) on 16×16: the BFloat16 weight gradient is")]
    [InlineData("features.block2.conv", "InputGradient", "features.block2.conv, Conv2d(16→16, 5×5) on 16×16: the BFloat16 input gradient is")]
    [InlineData("features.block3.conv", "Gradient", "features.block3.conv, Conv2d(16→16, 5×5) on 6×6: the Float32 weight gradient is")]
    [InlineData("classifier.fc1", "Output", "classifier.fc1, Linear(16→16): the BFloat16 output is")]
    [InlineData("classifier.out", "InputGradient", "classifier.out, Linear(16→1): the BFloat16 input gradient is")]
    public void The_real_check_reports_a_layer_whose_output_or_gradient_is_10_percent_off_naming_the_layer_and_what(string layer, string kind, string expected)
    {
        string? wrong;
        using (LayerFault.Inject(layer, Enum.Parse<FaultKind>(kind)))
            wrong = KernelCheck.FirstWrongLayer(SyntheticImages.SmallNetwork, Geometry, ScalarType.BFloat16);

        Assert.NotNull(wrong);
        Assert.StartsWith(expected, wrong);
        Assert.Matches(@" is (9|10|11) ?% off", wrong);
    }

    [Fact]
    public void The_real_check_passes_a_layer_off_by_less_than_bfloat16s_rounding_and_a_gradient_the_network_never_takes()
    {
        // 0.5 % is within what bfloat16 rounding gives (under 1 %): not a wrong kernel.
        using (LayerFault.Inject("features.block2.conv", FaultKind.Output, factor: 1.005))
            Assert.Null(KernelCheck.FirstWrongLayer(SyntheticImages.SmallNetwork, Geometry, ScalarType.BFloat16));
        // The first layer's input is the image: no gradient flows there, so none is checked.
        using (LayerFault.Inject("features.block1.conv", FaultKind.InputGradient))
            Assert.Null(KernelCheck.FirstWrongLayer(SyntheticImages.SmallNetwork, Geometry, ScalarType.BFloat16));
    }

    [Fact]
    public void A_verdict_under_a_fault_is_not_kept_and_a_kept_verdict_does_not_hide_a_fault()
    {
        Assert.Null(KernelCheck.FirstWrongLayer(SyntheticImages.SmallNetwork, Geometry, ScalarType.BFloat16));
        using (LayerFault.Inject("classifier.fc1", FaultKind.Gradient))
            Assert.StartsWith("classifier.fc1", KernelCheck.FirstWrongLayer(SyntheticImages.SmallNetwork, Geometry, ScalarType.BFloat16));
        Assert.Null(KernelCheck.FirstWrongLayer(SyntheticImages.SmallNetwork, Geometry, ScalarType.BFloat16));
    }

    [Fact]
    public void Fit_in_BFloat16_is_refused_naming_a_layer_the_real_check_finds_wrong_and_trains_when_none_is()
    {
        var ml = new MLContext(seed: 1);
        var train = SyntheticImages.DataView(ml, 48, 1);
        var options = SyntheticImages.FastOptions(epochs: 1);
        options.Precision = Precision.BFloat16;

        ArgumentException error;
        using (LayerFault.Inject("features.block2.conv", FaultKind.Gradient))
            error = Assert.Throws<ArgumentException>(() => new CnnEstimator(ml, options).Fit(train));

        Assert.Equal(nameof(CnnOptions.Precision), error.ParamName);
        Assert.StartsWith("Precision BFloat16: this machine's bfloat16 kernels compute features.block2.conv, Conv2d(16→16, 5×5) on 16×16: the BFloat16 weight gradient is", error.Message);
        using var model = new CnnEstimator(ml, options).Fit(train);
        Assert.Equal(Precision.BFloat16, model.TrainingPrecision);
    }
}
