using Distill.StudentTrainer.Distillation;
using Distill.StudentTrainer.Evaluation;
using Distill.StudentTrainer.Model;
using Distill.StudentTrainer.Tests.Training;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.Distillation;

/// <summary>A failure after a step's update, wherever it comes from, leaves a checkpoint of that step that resumes exactly.</summary>
public sealed class FailureResumeTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("distill-failure-").FullName;
    private readonly CausalLm _teacherModel = DistillationTrainerTests.TrainedTeacher();

    public void Dispose()
    {
        _teacherModel.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    // Evaluations at 0, 4, 8 and 12; checkpoints at 3, 6, 9 and 12.
    private static readonly DistillOptions Options = DistillationTrainerTests.Options(12) with { EvalInterval = 4, CheckpointInterval = 3 };

    private DistillResult Run(string folder, LossRecorder reporter, IStudentEvaluator evaluator, MetricsLog? metrics = null,
                              string? resumeFrom = null, ICheckpointFiles? files = null) =>
        new DistillationTrainer(Options, reporter) { LogInterval = 1 }.Run(new DistillRunContext(DistillationTrainerTests.Pattern(2000, 2),
            folder, CPU, new LocalGptTeacher(_teacherModel), evaluator, metrics, ResumeFrom: resumeFrom, CheckpointFiles: files));

    private List<(int, double)> Uninterrupted()
    {
        var whole = new LossRecorder();
        Run(Path.Combine(_root, "whole"), whole, new FailingEvaluator());
        return whole.Losses;
    }

    /// <summary>Resumes the failed run in <paramref name="folder"/> and asserts its losses, with the first session's, are the uninterrupted run's.</summary>
    private LossRecorder AssertResumesExactly(string folder, LossRecorder first, int checkpointStep, IStudentEvaluator? evaluator = null,
                                              MetricsLog? metrics = null)
    {
        string checkpoint = TrainingCheckpoint.Locate(folder);
        Assert.Equal(checkpointStep, TrainingCheckpoint.ReadStep(checkpoint));
        var resumed = new LossRecorder();
        DistillResult finished = Run(folder, resumed, evaluator ?? new FailingEvaluator(), metrics, checkpoint);
        Assert.Equal(Options.Steps, finished.StepsDone);
        Assert.Equal(Uninterrupted(), first.Losses.Concat(resumed.Losses)); // bit for bit, no step twice, none missing
        return resumed;
    }

    [Fact]
    public void A_failure_in_the_evaluation_after_a_step_saves_that_step_and_the_resumed_run_evaluates_it_first()
    {
        string folder = Path.Combine(_root, "evaluation");
        var first = new LossRecorder();
        Assert.Throws<IOException>(() => Run(folder, first, new FailingEvaluator(failingCall: 2))); // the evaluation at step 4
        Assert.True(TrainingCheckpoint.ReadResumePoint(TrainingCheckpoint.Locate(folder)).Pending?.EvaluationDue);
        Assert.Contains(first.Messages, m => m.Contains("stopped after step 4"));

        var evaluator = new FailingEvaluator();
        AssertResumesExactly(folder, first, checkpointStep: 4, evaluator);
        Assert.Equal(3, evaluator.Calls);   // steps 4 (due), 8 and 12
    }

    [Fact]
    public void A_failure_in_the_metrics_write_after_a_step_saves_that_step_and_its_record_is_written_once()
    {
        string folder = Path.Combine(_root, "metrics");
        var first = new LossRecorder();
        using (MetricsLog metrics = MetricsLog.Open(folder))
        {
            var closing = new LossRecorder(report => { if (report.Step == 6) metrics.Dispose(); }); // step 7's train record cannot be written
            Assert.Throws<ObjectDisposedException>(() => Run(folder, closing, new FailingEvaluator(), metrics));
            first.Losses.AddRange(closing.Losses);
        }
        (int step, StepTail? pending) = TrainingCheckpoint.ReadResumePoint(TrainingCheckpoint.Locate(folder));
        MetricsLog.TruncateAfter(folder, step, pending!.Rewrites);
        using (MetricsLog metrics = MetricsLog.Open(folder))
            AssertResumesExactly(folder, first, checkpointStep: 7, metrics: metrics);
        long[] trainSteps = [.. MetricsLog.ReadAll(folder).Where(r => r.Kind == MetricsRecord.Train).Select(r => r.Step)];
        Assert.Equal(Enumerable.Range(1, 12).Select(s => (long)s), trainSteps);
    }

    [Theory]
    [InlineData("Move", "step-000009", 1)]      // before the checkpoint is in place
    [InlineData("Replace", "latest", 3)]        // in place, not yet named
    [InlineData("Delete", "step-000003", 1)]    // named, the oldest not yet removed: the retry saves the same step again
    public void A_failure_in_writing_the_checkpoint_of_step_9_saves_it_again(string failingStep, string failingPath, int occurrence)
    {
        string folder = Path.Combine(_root, "save");
        int seen = 0;
        var files = new FaultyCheckpointFiles(folder, (step, path) =>
            step == failingStep && Path.GetFileName(path).Contains(failingPath) && ++seen == occurrence);
        var first = new LossRecorder();
        Assert.Throws<IOException>(() => Run(folder, first, new FailingEvaluator(), files: files));
        AssertResumesExactly(folder, first, checkpointStep: 9);
        Assert.Empty(Directory.GetDirectories(Path.Combine(folder, TrainingCheckpoint.Folder), ".*"));
    }

    [Fact]
    public void A_step_failing_after_its_update_began_writes_no_checkpoint()
    {
        string folder = Path.Combine(_root, "mid-step");
        var reporter = new LossRecorder();
        using (var loop = new TrainingLoop(Options, reporter, new RunSetting(folder, CPU)))
        {
            Assert.Throws<InvalidOperationException>(() => loop.Run(step =>
            {
                using var scope = NewDisposeScope();
                loop.Optimizer.zero_grad();
                loop.Model.Forward(ones(2, 4, dtype: ScalarType.Int64)).sum().backward();
                loop.ClipAndStep();
                if (step == 4) throw new InvalidOperationException("failed after the update (injected)");
                return new StepOutcome(null, 8);
            }));
        }
        Assert.Equal(3, TrainingCheckpoint.ReadStep(TrainingCheckpoint.Locate(folder)));
        Assert.Contains(reporter.Messages, m => m.Contains("step 5 failed after its update began"));
    }
}
