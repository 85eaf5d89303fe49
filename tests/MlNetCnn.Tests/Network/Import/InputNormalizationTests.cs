namespace MlNetCnn.Tests.Network.Import;

public sealed class InputNormalizationTests
{
    [Fact]
    public void The_text_form_reads_back_to_an_equal_normalisation()
    {
        var bgr = new InputNormalization(255, new[] { 2, 1, 0 }, new[] { 103.06262f, 115.902885f, 123.15163f }, new[] { 1f, 1f, 1f });

        var text = bgr.ToString();

        Assert.Equal("scale 255; channels 2,1,0; mean 103.06262,115.902885,123.15163; std 1,1,1", text);
        Assert.Equal(bgr, InputNormalization.Parse(text));
        Assert.Equal(InputNormalization.ImageNet, InputNormalization.Parse(InputNormalization.ImageNet.ToString()));
        Assert.NotEqual(bgr, InputNormalization.ImageNet);
    }

    [Theory]
    [InlineData("scale 1; channels 0,1,2; mean 0,0,0", "4")]
    [InlineData("scale x; channels 0; mean 0; std 1", "'x' is not a number")]
    [InlineData("scale 1; channels 0; mean 0; std 0", "must be finite and above 0")]
    [InlineData("scale 1; order 0; mean 0; std 1", "should start with 'channels '")]
    public void Text_that_is_not_a_normalisation_is_refused_saying_why(string text, string why)
    {
        var error = Assert.Throws<FormatException>(() => InputNormalization.Parse(text));

        Assert.Contains(why, error.Message);
    }

    [Fact]
    public void A_normalisation_needs_one_mean_and_one_positive_std_per_channel()
    {
        Assert.Contains("3 channels but 2 means", Assert.Throws<ArgumentException>(() => new InputNormalization(1, new[] { 0, 1, 2 }, new[] { 0f, 0f }, new[] { 1f, 1f, 1f })).Message);
        Assert.Throws<ArgumentException>(() => new InputNormalization(1, new[] { 0 }, new[] { 0f }, new[] { -1f }));
        Assert.Throws<ArgumentException>(() => new InputNormalization(0, new[] { 0 }, new[] { 0f }, new[] { 1f }));
        Assert.Equal(1, new InputNormalization(1, new[] { 0, 0, 0 }, new float[3], new[] { 1f, 1f, 1f }).InputChannels);
    }
}
