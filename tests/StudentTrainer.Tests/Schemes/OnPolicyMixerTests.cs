using Distill.StudentTrainer.Schemes;

namespace Distill.StudentTrainer.Tests.Schemes;

public class OnPolicyMixerTests
{
    [Theory]
    [InlineData(0.5)]
    [InlineData(0.2)]
    public void The_student_share_over_many_batches_is_lambda(double lambda)
    {
        var mixer = new OnPolicyMixer(lambda);
        var rng = new Random(42);
        int student = Enumerable.Range(0, 2000).Count(_ => mixer.Decide(rng) == BatchSource.Generate);
        Assert.InRange(student / 2000.0, lambda - 0.05, lambda + 0.05);
    }

    [Fact]
    public void Lambda_zero_and_one_are_exact()
    {
        var never = new OnPolicyMixer(0);
        var always = new OnPolicyMixer(1);
        var rng = new Random(1);
        for (int i = 0; i < 2000; i++)
        {
            Assert.Equal(BatchSource.Gold, never.Decide(rng));
            Assert.Equal(BatchSource.Generate, always.Decide(rng));
        }
        Assert.Equal(BatchSource.Gold, never.Decide(0.0));
        Assert.Equal(BatchSource.Generate, always.Decide(Math.BitDecrement(1.0)));
    }

    [Fact]
    public void The_draw_is_compared_strictly_and_the_same_seed_decides_alike()
    {
        var mixer = new OnPolicyMixer(0.5);
        Assert.Equal(BatchSource.Generate, mixer.Decide(0.4999));
        Assert.Equal(BatchSource.Gold, mixer.Decide(0.5));
        var first = new Random(9);
        var second = new Random(9);
        Assert.Equal(Enumerable.Range(0, 50).Select(_ => mixer.Decide(first)), Enumerable.Range(0, 50).Select(_ => mixer.Decide(second)));
    }

    [Fact]
    public void Bad_arguments_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new OnPolicyMixer(1.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new OnPolicyMixer(double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => new OnPolicyMixer(0.5).Decide(1.0));
    }
}
