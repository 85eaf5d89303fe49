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

    private static (float[] A, float[] B) TrainTwo(Action<AdamOptimizer> arrange, int steps = 10)
    {
        using var target = tensor(new[] { 1f, -2f });
        var a = new TorchSharp.Modules.Parameter(zeros(2));
        var b = new TorchSharp.Modules.Parameter(zeros(2));
        using var adam = new AdamOptimizer(new[] { ("head.weight", a), ("body.weight", b) }, 0.1, 0);
        arrange(adam);
        for (var i = 0; i < steps; i++)
        {
            using var scope = NewDisposeScope();
            adam.ZeroGrad();
            ((a - target).pow(2).sum() + (b - target).pow(2).sum()).backward();
            adam.Step();
        }
        return (a.data<float>().ToArray(), b.data<float>().ToArray());
    }

    [Fact]
    public void A_group_steps_at_the_base_rate_times_its_scale()
    {
        var (plainA, plainB) = TrainTwo(_ => { });
        var (halfA, halfB) = TrainTwo(adam => adam.Split("head", n => n.StartsWith("head."), 0.5));
        var (stillA, stillB) = TrainTwo(adam => adam.Split("head", n => n.StartsWith("head."), 0));

        Assert.Equal(plainB, halfB);                       // the other group is untouched by the split
        Assert.Equal(plainB, stillB);
        Assert.Equal(new float[2], stillA);                // scale 0: no step
        // Adam's steps are about the rate each, so half the rate moves about half as far in ten steps.
        Assert.InRange(Math.Abs(halfA[0]) / Math.Abs(plainA[0]), 0.45, 0.55);
    }

    [Fact]
    public void A_parameter_that_requires_no_gradient_is_not_stepped_even_with_a_gradient_left()
    {
        using var target = tensor(new[] { 1f, -2f });
        var p = new TorchSharp.Modules.Parameter(zeros(2));
        using var adam = new AdamOptimizer(new[] { ("w", p) }, 0.1, 0.01);
        (p - target).pow(2).sum().backward();               // a gradient is there
        p.requires_grad = false;                            // then the parameter is frozen
        adam.Step();
        Assert.Equal(new float[2], p.data<float>().ToArray());
    }

    [Fact]
    public void Groups_survive_save_and_load_and_a_version_1_state_loads_as_one_group()
    {
        var path = Path.GetTempFileName();
        var weights = new[] { ("head.w", new TorchSharp.Modules.Parameter(zeros(2))), ("body.w", new TorchSharp.Modules.Parameter(zeros(3))) };
        using (var first = new AdamOptimizer(weights, 0.1, 0))
        {
            first.Split("head", n => n.StartsWith("head."), 0.25);
            using var writer = new BinaryWriter(File.Create(path));
            first.Save(writer);
        }
        using (var second = new AdamOptimizer(weights, 0.1, 0))
        {
            using (var reader = new BinaryReader(File.OpenRead(path)))
                second.Load(reader);
            Assert.Equal(["all", "head"], second.Groups.Select(g => g.Name));
            Assert.Equal(0.25, second.Groups[1].Scale);
            Assert.Equal([0], second.Groups[1].Members);
            Assert.Equal([1], second.Groups[0].Members);
        }

        // Version 1 (before groups): the same layout without the group list, and the version number 1.
        var bytes = File.ReadAllBytes(path);
        var v1 = new MemoryStream();
        using (var writer = new BinaryWriter(v1, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(1);
            var withoutGroups = bytes.Length - GroupBytes();
            v1.Write(bytes, 4, withoutGroups - 4);
        }
        v1.Position = 0;
        using var third = new AdamOptimizer(weights, 0.1, 0);
        third.Split("head", n => n.StartsWith("head."), 0.25);
        using (var reader = new BinaryReader(v1))
            third.Load(reader);
        Assert.Equal(["all", "head"], third.Groups.Select(g => g.Name));   // a state without groups keeps the optimiser's own
        File.Delete(path);

        // int count; "all": 1+3 chars, double, int 1, int 1; "head": 1+4, double, int 1, int 0.
        static int GroupBytes() => 4 + (1 + 3 + 8 + 4 + 4) + (1 + 4 + 8 + 4 + 4);
    }

    [Fact]
    public void A_damaged_group_list_is_refused_naming_the_problem()
    {
        var weights = new[] { ("a", new TorchSharp.Modules.Parameter(zeros(1))), ("b", new TorchSharp.Modules.Parameter(zeros(1))) };
        using var adam = new AdamOptimizer(weights, 0.1, 0);
        var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            adam.Save(writer);
        }
        var bytes = stream.ToArray();
        // The last int is the "all" group's second member (1): make it 0, so parameter 0 is in the group twice.
        BitConverter.GetBytes(0).CopyTo(bytes, bytes.Length - 4);
        using var reader = new BinaryReader(new MemoryStream(bytes));
        var error = Assert.Throws<InvalidDataException>(() => adam.Load(reader));
        Assert.Contains("two groups", error.Message);
    }
}
