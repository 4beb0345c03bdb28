using Distill.StudentTrainer.Schemes;

namespace Distill.StudentTrainer.Tests.Schemes;

public class DistillmScheduleTests
{
    private const double Epsilon = 0.1;   // DistiLLM's --loss-eps

    [Fact]
    public void The_defaults_are_distillms()
    {
        var options = new DistillmOptions();
        Assert.Equal(0.0, options.InitThreshold);
        Assert.Equal(0.1, options.LossEpsilon);
        Assert.Equal(0.1, options.ThresholdStep);
        Assert.Equal(1.0, options.MaxThreshold);
        Assert.Equal(ReplayRatio.Decreasing, options.ReplayRatio);
    }

    [Fact]
    public void The_threshold_rises_only_when_the_loss_is_at_least_epsilon_above_its_reference()
    {
        var schedule = new DistillmSchedule(new DistillmOptions());
        Assert.Null(schedule.ReferenceLoss);

        // (loss, threshold after, reference after, rose)
        (double Loss, double Threshold, double Reference, bool Rose)[] steps =
        [
            (2.0, 0.0, 2.0, false),              // the loss before training: the reference only
            (1.8, 0.0, 2.0, false),              // lower: the reference does not follow it down
            (2.05, 0.0, 2.0, false),             // above, but less than ε
            (2.0 + Epsilon, 0.1, 2.1, true),     // exactly ε above: rises, and becomes the reference
            (2.15, 0.1, 2.1, false),             // measured from the new reference now
            (2.5, 0.2, 2.5, true),
            (1.0, 0.2, 2.5, false),
            (2.55, 0.2, 2.5, false),             // would be a rise from 1.0, not from the reference 2.5
            (2.7, 0.3, 2.7, true),
        ];
        foreach (var (loss, threshold, reference, rose) in steps)
        {
            Assert.Equal(rose, schedule.ObserveValidationLoss(loss));
            Assert.Equal(threshold, schedule.Threshold, 12);
            Assert.Equal(reference, schedule.ReferenceLoss!.Value, 12);
        }
    }

    [Fact]
    public void The_threshold_stops_at_its_cap()
    {
        var schedule = new DistillmSchedule(new DistillmOptions());
        schedule.ObserveValidationLoss(0);
        for (int i = 1; i <= 10; i++) Assert.True(schedule.ObserveValidationLoss(i));
        Assert.Equal(1.0, schedule.Threshold, 12);
        for (int i = 11; i <= 14; i++) schedule.ObserveValidationLoss(i);
        Assert.Equal(1.0, schedule.Threshold);
        Assert.Equal(14.0, schedule.ReferenceLoss);
    }

    [Fact]
    public void A_resumed_schedule_continues_where_the_saved_one_was()
    {
        var options = new DistillmOptions();
        var original = new DistillmSchedule(options);
        foreach (double loss in new[] { 3.0, 3.2, 3.25 }) original.ObserveValidationLoss(loss);
        var resumed = new DistillmSchedule(options, original.State);
        Assert.Equal(original.State, resumed.State);
        foreach (double loss in new[] { 3.31, 3.35, 3.1 })
        {
            Assert.Equal(original.ObserveValidationLoss(loss), resumed.ObserveValidationLoss(loss));
            Assert.Equal(original.State, resumed.State);
        }
        Assert.Equal(0.2, resumed.Threshold, 12);
    }

    [Theory]
    [InlineData(0.30, true, BatchSource.Generate)]    // r < s = 0.375: fresh samples even with a full buffer
    [InlineData(0.40, true, BatchSource.Replay)]      // s ≤ r < τ with a full buffer
    [InlineData(0.40, false, BatchSource.Generate)]   // s ≤ r < τ while the buffer is filling
    [InlineData(0.50, false, BatchSource.Gold)]       // r = τ
    [InlineData(0.70, true, BatchSource.Gold)]
    public void Decide_picks_each_branch_for_the_decreasing_ratio(double r, bool bufferFull, BatchSource expected)
    {
        var schedule = new DistillmSchedule(new DistillmOptions(), new DistillmScheduleState(0.5, 1.0));
        Assert.Equal(0.375, schedule.GenerationProbability(25, 100), 12);
        Assert.Equal(expected, schedule.Decide(25, 100, r, bufferFull));
    }

    [Theory]
    [InlineData(ReplayRatio.Constant, 0.24, BatchSource.Generate)]     // s = 0.25
    [InlineData(ReplayRatio.Constant, 0.26, BatchSource.Replay)]
    [InlineData(ReplayRatio.Increasing, 0.12, BatchSource.Generate)]   // s = 0.125
    [InlineData(ReplayRatio.Increasing, 0.13, BatchSource.Replay)]
    [InlineData(ReplayRatio.Decreasing, 0.13, BatchSource.Generate)]   // s = 0.375
    public void The_replay_ratio_sets_the_generation_probability(ReplayRatio ratio, double r, BatchSource expected)
    {
        var schedule = new DistillmSchedule(new DistillmOptions(ReplayRatio: ratio), new DistillmScheduleState(0.5, 1.0));
        Assert.Equal(expected, schedule.Decide(25, 100, r, bufferFull: true));
    }

    [Fact]
    public void The_generation_probability_follows_the_ratio_over_training()
    {
        var state = new DistillmScheduleState(0.8, 1.0);
        var decreasing = new DistillmSchedule(new DistillmOptions(), state);
        var increasing = new DistillmSchedule(new DistillmOptions(ReplayRatio: ReplayRatio.Increasing), state);
        Assert.Equal(0.8, decreasing.GenerationProbability(0, 10), 12);
        Assert.Equal(0.0, decreasing.GenerationProbability(10, 10), 12);
        Assert.Equal(0.0, increasing.GenerationProbability(0, 10), 12);
        Assert.Equal(0.8, increasing.GenerationProbability(10, 10), 12);
        // At the last step of the decreasing ratio a full buffer serves every student step.
        Assert.Equal(BatchSource.Replay, decreasing.Decide(10, 10, 0.0, bufferFull: true));
    }

    [Fact]
    public void A_seeded_random_gives_the_shares_of_the_three_sources()
    {
        var schedule = new DistillmSchedule(new DistillmOptions(), new DistillmScheduleState(0.6, 1.0));
        var rng = new Random(4);
        // At step 50 of 100, s = 0.3: generate 30 %, replay 30 % (full buffer), gold 40 %.
        var counts = Enumerable.Range(0, 4000).Select(_ => schedule.Decide(50, 100, rng, bufferFull: true))
                               .GroupBy(source => source).ToDictionary(g => g.Key, g => g.Count() / 4000.0);
        Assert.Equal(0.3, counts[BatchSource.Generate], 0.03);
        Assert.Equal(0.3, counts[BatchSource.Replay], 0.03);
        Assert.Equal(0.4, counts[BatchSource.Gold], 0.03);
    }

    [Fact]
    public void At_threshold_zero_every_batch_is_gold()
    {
        var schedule = new DistillmSchedule(new DistillmOptions());
        Assert.Equal(BatchSource.Gold, schedule.Decide(1, 100, 0.0, bufferFull: false));
        Assert.Equal(BatchSource.Gold, schedule.Decide(50, 100, 0.0, bufferFull: true));
    }

    [Fact]
    public void Bad_arguments_are_refused()
    {
        var schedule = new DistillmSchedule(new DistillmOptions());
        Assert.Throws<ArgumentOutOfRangeException>(() => schedule.Decide(1, 10, 1.0, false));
        Assert.Throws<ArgumentOutOfRangeException>(() => schedule.Decide(11, 10, 0.5, false));
        Assert.Throws<ArgumentOutOfRangeException>(() => schedule.Decide(0, 0, 0.5, false));
        Assert.Throws<ArgumentException>(() => schedule.ObserveValidationLoss(double.NaN));
        Assert.Throws<ArgumentException>(() => new DistillmSchedule(new DistillmOptions(InitThreshold: 1.5)));
        Assert.Throws<ArgumentException>(() => new DistillmSchedule(new DistillmOptions(), new DistillmScheduleState(1.2, null)));
    }
}
