using MlNetCnn.Diagnostics;
using MlNetCnn.Training;

namespace MlNetCnn.Tests.Diagnostics;

public sealed class ThresholdSelectorTests
{
    private static float Logit(double p) => (float)Math.Log(p / (1 - p));

    [Fact]
    public void MaxF1_puts_the_threshold_between_the_classes_of_separable_scores()
    {
        var logits = new[] { 0.1, 0.2, 0.25, 0.7, 0.8 }.Select(Logit).ToArray();
        var labels = new[] { false, false, false, true, true };

        var threshold = ThresholdSelector.Choose(logits, labels, ThresholdSelection.MaxF1, 0.5f);

        Assert.InRange(threshold, 0.25f, 0.7f);
        Assert.Equal(0.475f, threshold, 3);
    }

    [Fact]
    public void Youdens_J_and_MaxF1_differ_where_the_classes_are_imbalanced()
    {
        // One positive among many negatives, with one negative scored above it.
        var logits = new[] { 0.1, 0.2, 0.3, 0.4, 0.9, 0.6 }.Select(Logit).ToArray();
        var labels = new[] { false, false, false, false, false, true };

        var j = ThresholdSelector.Choose(logits, labels, ThresholdSelection.YoudensJ, 0.5f);
        var f1 = ThresholdSelector.Choose(logits, labels, ThresholdSelection.MaxF1, 0.5f);

        Assert.Equal(0.5f, j, 3);   // between 0.4 and 0.6: TPR 1, FPR 0.2
        Assert.InRange(f1, 0.4f, 0.6f);
    }

    [Fact]
    public void Fixed_or_one_class_keeps_the_fallback()
    {
        var logits = new[] { 1f, 2f };
        Assert.Equal(0.3f, ThresholdSelector.Choose(logits, new[] { true, false }, ThresholdSelection.Fixed, 0.3f));
        Assert.Equal(0.3f, ThresholdSelector.Choose(logits, new[] { true, true }, ThresholdSelection.MaxF1, 0.3f));
    }
}
