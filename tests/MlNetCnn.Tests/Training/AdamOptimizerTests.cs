using MlNetCnn.Training;
using MlNetCnn.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetCnn.Tests.Training;

public sealed class AdamOptimizerTests
{
    public AdamOptimizerTests() => TorchRuntime.EnsureLoaded();

    private static float[] Fit(Func<TorchSharp.Modules.Parameter, Action> makeStep)
    {
        using var target = tensor(new[] { 1f, -2f, 3f, 0.5f });
        var weights = new TorchSharp.Modules.Parameter(zeros(4));
        var step = makeStep(weights);
        for (var i = 0; i < 25; i++)
        {
            using var scope = NewDisposeScope();
            weights.grad?.zero_();
            var loss = (weights - target).pow(2).sum();
            loss.backward();
            step();
        }
        return weights.data<float>().ToArray();
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.01)]
    public void Steps_match_TorchSharps_Adam(double weightDecay)
    {
        AdamOptimizer? ours = null;
        var mine = Fit(p => { ours = new AdamOptimizer(new[] { p }, 0.1, weightDecay); return ours.Step; });
        ours!.Dispose();
        var theirs = Fit(p => { var adam = optim.Adam(new[] { p }, lr: 0.1, weight_decay: weightDecay); return () => adam.step(); });

        for (var i = 0; i < mine.Length; i++)
            Assert.Equal(theirs[i], mine[i], 5);
        Assert.NotEqual(0f, mine[0]);
    }

    [Fact]
    public void Saved_state_resumes_to_the_same_weights()
    {
        using var folder = new Support.TempFolder();
        var path = folder.File("adam.bin");
        var straight = Fit(p => { var a = new AdamOptimizer(new[] { p }, 0.1, 0); return a.Step; });

        var weights = new TorchSharp.Modules.Parameter(zeros(4));
        using var target = tensor(new[] { 1f, -2f, 3f, 0.5f });
        void Steps(AdamOptimizer adam, int count)
        {
            for (var i = 0; i < count; i++)
            {
                using var scope = NewDisposeScope();
                adam.ZeroGrad();
                (weights - target).pow(2).sum().backward();
                adam.Step();
            }
        }
        using (var first = new AdamOptimizer(new[] { weights }, 0.1, 0))
        {
            Steps(first, 10);
            using var writer = new BinaryWriter(File.Create(path));
            first.Save(writer);
        }
        using (var second = new AdamOptimizer(new[] { weights }, 0.1, 0))
        {
            using (var reader = new BinaryReader(File.OpenRead(path)))
                second.Load(reader);
            Steps(second, 15);
        }

        Assert.Equal(straight, weights.data<float>().ToArray());
    }
}
