using Distill.StudentTrainer.Training;

namespace Distill.StudentTrainer.Tests.Training;

public class LearningRateScheduleTests
{
    private readonly LearningRateSchedule _schedule = new(Peak: 1e-3, Floor: 1e-4, WarmupSteps: 10, TotalSteps: 110);

    [Fact]
    public void Warmup_rises_linearly_to_the_peak()
    {
        Assert.Equal(1e-4, _schedule.At(0), 12);
        Assert.Equal(5e-4, _schedule.At(4), 12);
        Assert.Equal(1e-3, _schedule.At(9), 12);
    }

    [Fact]
    public void Cosine_decays_from_peak_through_the_midpoint_to_the_floor()
    {
        Assert.Equal(1e-3, _schedule.At(10), 12);
        Assert.Equal(5.5e-4, _schedule.At(60), 12);
        Assert.Equal(1e-4, _schedule.At(110), 12);
        Assert.Equal(1e-4, _schedule.At(500), 12);
        for (int step = 11; step <= 110; step++)
            Assert.True(_schedule.At(step) <= _schedule.At(step - 1));
    }
}
