using Distill.StudentTrainer.Data;
using Distill.StudentTrainer.Distillation;
using Distill.StudentTrainer.Evaluation;
using Distill.StudentTrainer.Model;
using Distill.StudentTrainer.Schemes;
using Distill.StudentTrainer.Tests.Distillation;
using Distill.StudentTrainer.Tests.Model;
using Distill.StudentTrainer.Training;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.Schemes;

public sealed class MiniLlmTrainerTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("distill-minillm-").FullName;
    private readonly TokenizedPair[] _pairs = MiniLlmFixtures.Pairs(10);
    private readonly TokenStream _corpus = DistillationTrainerTests.Pattern(2000, 2);
    private readonly CausalLm _teacher = TinyModels.Create(MiniLlmFixtures.TeacherConfig, seed: 21);

    public void Dispose()
    {
        _teacher.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public void A_few_steps_train_the_student_with_finite_losses_and_log_every_figure()
    {
        var teacher = new LocalGptTeacher(_teacher);
        string folder = Path.Combine(_root, "run");
        var reporter = new Recorder();
        MiniLlmResult result;
        using (MetricsLog metrics = MetricsLog.Open(folder))
            result = Run(MiniLlmFixtures.Options(3), teacher, folder, reporter, metrics: metrics);

        Assert.Equal(3, result.StepsDone);
        Assert.False(result.Interrupted);
        Assert.Equal(3, result.Losses.Count);
        Assert.All(result.Losses, l => Assert.True(double.IsFinite(l.Loss), $"loss {l.Loss} at step {l.Step}"));
        Assert.Equal(teacher.TopKRequests.Count, result.TeacherRequests);
        Assert.True(result.ResponseTokens is > 0 and <= 3 * 4 * 6, $"{result.ResponseTokens} response tokens");
        Assert.Equal(3L * 2 * 4 * 15, result.LmTokens);
        Assert.InRange(result.TeacherWaitShare, 0, 1);

        MetricsRecord[] train = [.. MetricsLog.ReadAll(folder).Where(r => r.Kind == MetricsRecord.Train)];
        Assert.Equal([1L, 2, 3], train.Select(r => r.Step));
        string[] names =
        [
            MiniLlmMetricNames.Loss, MiniLlmMetricNames.Reward, MiniLlmMetricNames.Return, MiniLlmMetricNames.PolicyGradient,
            MiniLlmMetricNames.Regulariser, MiniLlmMetricNames.LmLoss, MiniLlmMetricNames.Ratio, MiniLlmMetricNames.ClipFraction,
            MiniLlmMetricNames.ImportanceWeight, MiniLlmMetricNames.ResponseLength, MiniLlmMetricNames.TeacherWait,
        ];
        foreach (MetricsRecord record in train)
            foreach (string name in names)
                Assert.True(record.Get(name) is double value && double.IsFinite(value), $"{name} at step {record.Step}");
        Assert.All(train, r => Assert.InRange(r.Get(MiniLlmMetricNames.ResponseLength)!.Value, 1, 6));

        manual_seed(MiniLlmFixtures.Options().Seed);
        using CausalLm start = MiniLlmFixtures.StudentConfig.CreateModel();
        using CausalLm trained = ModelFolder.Load(TrainingCheckpoint.Locate(folder));
        double change = start.parameters().Zip(trained.parameters(), (a, b) => (a - b).abs().max().item<float>()).Max();
        Assert.True(change > 1e-4, $"largest parameter change {change}");
    }

    [Fact]
    public void Resuming_after_an_interruption_gives_the_losses_of_an_uninterrupted_run()
    {
        var teacher = new LocalGptTeacher(_teacher);
        MiniLlmResult whole = Run(MiniLlmFixtures.Options(), teacher, Path.Combine(_root, "whole"), new Recorder());

        using var stop = new CancellationTokenSource();
        string folder = Path.Combine(_root, "interrupted");
        MiniLlmResult first = Run(MiniLlmFixtures.Options(), teacher, folder,
            new Recorder(report => { if (report.Step == 2) stop.Cancel(); }), stop: stop.Token);
        Assert.True(first.Interrupted);
        Assert.Equal(2, first.StepsDone);

        MiniLlmResult resumed = Run(MiniLlmFixtures.Options(), teacher, folder, new Recorder(), TrainingCheckpoint.Locate(folder));
        Assert.False(resumed.Interrupted);
        Assert.Equal(4, resumed.StepsDone);
        Assert.Equal(whole.Losses.Take(2), first.Losses);
        Assert.Equal(whole.Losses.Skip(2), resumed.Losses);   // bit for bit: same weights, moments, prompts, draws and schedule
        Assert.Equal(whole.ResponseTokens, resumed.ResponseTokens);
        Assert.Equal(whole.TeacherRequests, resumed.TeacherRequests);
    }

    [Fact]
    public void A_failure_in_the_evaluation_after_a_step_saves_that_step_and_resuming_gives_the_uninterrupted_losses()
    {
        MiniLlmTrainerOptions options = MiniLlmFixtures.Options() with { EvalInterval = 2, CheckpointInterval = 100 };
        var teacher = new LocalGptTeacher(_teacher);
        MiniLlmResult whole = Run(options, teacher, Path.Combine(_root, "whole"), new Recorder(), evaluator: new FailingEvaluator());

        string folder = Path.Combine(_root, "failed");
        var first = new List<(int, double)>();
        Assert.Throws<IOException>(() => Run(options, teacher, folder, new Recorder(r => first.Add((r.Step, r.Loss!.Value))),
            evaluator: new FailingEvaluator(failingCall: 2)));     // the evaluation at step 2, after its updates
        Assert.Equal(2, TrainingCheckpoint.ReadStep(TrainingCheckpoint.Locate(folder)));

        var evaluator = new FailingEvaluator();
        MiniLlmResult resumed = Run(options, teacher, folder, new Recorder(), TrainingCheckpoint.Locate(folder), evaluator: evaluator);
        Assert.Equal(whole.Losses, first.Concat(resumed.Losses));
        Assert.Equal(2, evaluator.Calls);   // steps 2 (due) and 4
    }

    [Fact]
    public void Resuming_with_other_training_options_is_refused()
    {
        var teacher = new LocalGptTeacher(_teacher);
        string folder = Path.Combine(_root, "run");
        Run(MiniLlmFixtures.Options(2), teacher, folder, new Recorder());
        MiniLlmTrainerOptions other = MiniLlmFixtures.Options(2) with { MiniLlm = new MiniLlmOptions { TeacherMixAlpha = 0.5 } };
        var error = Assert.Throws<ArgumentException>(() => Run(other, teacher, folder, new Recorder(), TrainingCheckpoint.Locate(folder)));
        Assert.Contains("other training options", error.Message);
    }

    [Fact]
    public void Without_the_language_modelling_loss_no_corpus_window_is_read()
    {
        var teacher = new LocalGptTeacher(_teacher);
        MiniLlmTrainerOptions options = MiniLlmFixtures.Options(1) with { MiniLlm = new MiniLlmOptions { LmCoefficient = 0 } };
        MiniLlmResult result = Run(options, teacher, Path.Combine(_root, "no-lm"), new Recorder());
        Assert.Equal(0, result.LmTokens);
        Assert.True(double.IsFinite(result.Losses.Single().Loss));
    }

    [Fact]
    public void Prompt_batches_visit_every_pair_once_per_pass_in_a_seeded_order()
    {
        var order = new PromptOrder(10, 4, seed: 5);
        int[] firstPass = [.. Enumerable.Range(0, 5).SelectMany(n => order.IndicesOf(n)).Take(10)];
        Assert.Equal(Enumerable.Range(0, 10), firstPass.Order());
        Assert.NotEqual(Enumerable.Range(0, 10), firstPass);
        Assert.Equal(order.IndicesOf(3), new PromptOrder(10, 4, seed: 5).IndicesOf(3));
        Assert.NotEqual(order.IndicesOf(0), new PromptOrder(10, 4, seed: 6).IndicesOf(0));
    }

    private MiniLlmResult Run(MiniLlmTrainerOptions options, LocalGptTeacher teacher, string folder, Recorder reporter,
                              string? resumeFrom = null, CancellationToken stop = default, MetricsLog? metrics = null,
                              IStudentEvaluator? evaluator = null) =>
        new MiniLlmTrainer(options, reporter).Run(new MiniLlmRunContext(_pairs, _corpus, teacher, folder, CPU,
            evaluator, metrics, ResumeFrom: resumeFrom, Stop: stop));

    private sealed class Recorder(Action<StepReport>? onStep = null) : ITrainingReporter
    {
        public void Step(StepReport report) => onStep?.Invoke(report);
        public void Evaluated(int step, string split, double meanLoss, double perplexity) { }
        public void Message(string text) { }
    }
}
