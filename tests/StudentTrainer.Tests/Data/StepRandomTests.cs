using Distill.StudentTrainer.Data;

namespace Distill.StudentTrainer.Tests.Data;

public class StepRandomTests
{
    [Fact]
    public void First_draws_of_consecutive_steps_look_independent()
    {
        double[] draws = [.. Enumerable.Range(0, 1000).Select(step => StepRandom.For(5, step).NextDouble())];
        Assert.InRange(draws.Count(d => d < 0.5), 450, 550);                                     // ±3σ of a binomial(1000, ½) is ±47
        double correlation = draws.Zip(draws.Skip(1), (a, b) => (a - 0.5) * (b - 0.5)).Average() / (1.0 / 12);
        Assert.InRange(correlation, -0.1, 0.1);   // System.Random seeded with seed + step: close to 1
    }

    [Fact]
    public void The_same_seed_and_stream_give_the_same_draws_and_others_differ()
    {
        Assert.Equal(StepRandom.For(7, 12).Next(), StepRandom.For(7, 12).Next());
        Assert.NotEqual(StepRandom.Mix(7, 12), StepRandom.Mix(7, 13));
        Assert.NotEqual(StepRandom.Mix(7, 12), StepRandom.Mix(8, 12));
        Assert.True(StepRandom.Mix(-1, long.MaxValue) >= 0);
    }
}
