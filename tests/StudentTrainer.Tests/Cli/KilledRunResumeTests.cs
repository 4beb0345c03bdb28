using Distill.StudentTrainer.Distillation;
using Distill.StudentTrainer.Evaluation;

namespace Distill.StudentTrainer.Tests.Cli;

/// <summary><c>train --resume</c> of a run that was killed (no handler ran) logs every step once.</summary>
public sealed class KilledRunResumeTests(TrainCommandFixture fixture) : IClassFixture<TrainCommandFixture>
{
    [Fact]
    public void A_run_killed_before_its_first_checkpoint_starts_over_and_logs_each_step_once()
    {
        string run = Path.Combine(fixture.Root, "runs", "killed-early-" + Guid.NewGuid().ToString("N")[..6]);
        var first = TrainerProcess.Run(fixture.TrainArguments(run, "--steps", "6", "--no-baseline", "--checkpoint-interval", "100"));
        Assert.True(first.ExitCode == 0, first.Stderr + first.Stdout);
        // What a SIGKILL before the first checkpoint leaves: the log of the steps done, no checkpoint.
        Directory.Delete(Path.Combine(run, TrainingCheckpoint.Folder), recursive: true);

        var resumed = TrainerProcess.Run("train", "--resume", run, "--models", fixture.Models, "--threads", "1");
        Assert.True(resumed.ExitCode == 0, resumed.Stderr + resumed.Stdout);
        IReadOnlyList<MetricsRecord> records = MetricsLog.ReadAll(run);
        Assert.Equal([6], records.Where(r => r.Kind == MetricsRecord.Train).Select(r => (int)r.Step));
        Assert.Equal([0, 6], records.Where(r => r.Kind == MetricsRecord.Eval).Select(r => (int)r.Step));
    }
}
