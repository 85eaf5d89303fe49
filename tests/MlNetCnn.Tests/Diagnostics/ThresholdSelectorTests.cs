using MlNetCnn.Diagnostics;

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
        // Two positives among ten negatives; four negatives score between the positives. Taking the lower positive in
        // costs four false positives: worth it for J (TPR +0.5, FPR +0.4), not for F1 (2/3 falls to 1/2).
        var negatives = new[] { 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.45, 0.5, 0.55, 0.6 };
        var positives = new[] { 0.4, 0.9 };
        var logits = negatives.Concat(positives).Select(Logit).ToArray();
        var labels = negatives.Select(_ => false).Concat(positives.Select(_ => true)).ToArray();

        var j = ThresholdSelector.Choose(logits, labels, ThresholdSelection.YoudensJ, 0.5f);
        var f1 = ThresholdSelector.Choose(logits, labels, ThresholdSelection.MaxF1, 0.5f);

        Assert.Equal(0.35f, j, 3);   // between 0.3 and 0.4: TPR 1, FPR 0.4, J 0.6 (above 0.75's J of 0.5)
        Assert.Equal(0.75f, f1, 3);  // between 0.6 and 0.9: one true positive, no false one, F1 2/3 (below it: 1/2)
        Assert.True(f1 - j > 0.3f, $"J chose {j}, MaxF1 {f1}");
    }

    [Fact]
    public void Fixed_or_one_class_keeps_the_fallback()
    {
        var logits = new[] { 1f, 2f };
        Assert.Equal(0.3f, ThresholdSelector.Choose(logits, new[] { true, false }, ThresholdSelection.Fixed, 0.3f));
        Assert.Equal(0.3f, ThresholdSelector.Choose(logits, new[] { true, true }, ThresholdSelection.MaxF1, 0.3f));
    }
}
