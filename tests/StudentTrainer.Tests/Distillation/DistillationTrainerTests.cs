using Distill.StudentTrainer.Data;
using Distill.StudentTrainer.Distillation;
using Distill.StudentTrainer.Model;
using Distill.StudentTrainer.Tests.Training;
using Distill.StudentTrainer.Training;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.Distillation;

public sealed class DistillationTrainerTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("distill-trainer-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static readonly ModelConfig TeacherConfig = Gpt2Config.Project(vocab: 16, context: 16, width: 32, layers: 2, heads: 2, dropout: 0.0);
    private static readonly ModelConfig StudentConfig = Gpt2Config.Project(vocab: 16, context: 16, width: 16, layers: 1, heads: 2, dropout: 0.0);

    internal static TokenStream Pattern(int length, int seed)
    {
        var random = new Random(seed);
        int[] phrase = [3, 8, 1, 9, 4, 2, 6];
        return new TokenStream(Enumerable.Range(0, length)
            .Select(i => random.NextDouble() < 0.1 ? random.Next(0, 16) : phrase[i % phrase.Length]).ToArray());
    }

    internal static CausalLm TrainedTeacher()
    {
        manual_seed(11);
        var teacher = TeacherConfig.CreateModel();
        var options = new PretrainOptions { Model = TeacherConfig, Steps = 40, BatchSize = 8, PeakLearningRate = 3e-3, FinalLearningRate = 3e-4, WarmupSteps = 5, EvalInterval = 100 };
        using var optimizer = AdamWFactory.Create(teacher, 3e-3, 0.0);
        var random = new Random(1);
        TokenStream data = Pattern(3000, 1);
        for (int step = 0; step < 40; step++)
        {
            using var scope = NewDisposeScope();
            (Tensor inputs, Tensor targets) = data.RandomBatch(random, 8, 15);
            CrossEntropyStep.Run(teacher, optimizer, teacher.parameters(), inputs, targets, 1.0);
        }
        teacher.eval();
        return teacher;
    }

    /// <summary>A Llama-family student of about the same size: grouped-query attention, Qwen3's q/k norms, an untied head.</summary>
    private static readonly ModelConfig LlamaStudentConfig = new LlamaConfig
    {
        ModelType = "qwen3", VocabSize = 16, HiddenSize = 16, IntermediateSize = 24, HiddenLayers = 1, AttentionHeads = 4,
        KeyValueHeadCount = 2, MaxPositionEmbeddings = 16,
    };

    internal static DistillOptions Options(int steps = 12, ModelConfig? student = null) => new()
    {
        Student = student ?? StudentConfig, Steps = steps, BatchSize = 4, GradientAccumulation = 2, SequenceLength = 15,
        PeakLearningRate = 3e-3, FinalLearningRate = 3e-4, WarmupSteps = 3, TopK = 5, Divergence = DivergenceKind.Fkl,
        Lambda = 0.7, EvalInterval = 100, CheckpointInterval = 6, Seed = 5,
    };

    private DistillResult Run(DistillOptions options, LocalGptTeacher? teacher, string folder, LossRecorder reporter,
                              string? resumeFrom = null, CancellationToken stop = default) =>
        new DistillationTrainer(options, reporter) { LogInterval = 1 }
            .Run(new DistillRunContext(Pattern(2000, 2), folder, CPU, teacher, ResumeFrom: resumeFrom, Stop: stop));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Resuming_after_an_interruption_gives_the_losses_of_an_uninterrupted_run(bool llamaStudent)
    {
        using CausalLm teacherModel = TrainedTeacher();
        var teacher = new LocalGptTeacher(teacherModel);
        DistillOptions options = Options(student: llamaStudent ? LlamaStudentConfig : null);
        var whole = new LossRecorder();
        Run(options, teacher, Path.Combine(_root, "whole"), whole);

        using var stop = new CancellationTokenSource();
        var first = new LossRecorder(report => { if (report.Step == 5) stop.Cancel(); });
        string interruptedFolder = Path.Combine(_root, "interrupted");
        DistillResult interrupted = Run(options, teacher, interruptedFolder, first, stop: stop.Token);
        Assert.True(interrupted.Interrupted);
        Assert.Equal(5, interrupted.StepsDone);
        Assert.Equal(5, TrainingCheckpoint.ReadState(TrainingCheckpoint.Locate(interruptedFolder)).Step);

        var resumed = new LossRecorder();
        DistillResult finished = Run(options, teacher, interruptedFolder, resumed, TrainingCheckpoint.Locate(interruptedFolder));
        Assert.False(finished.Interrupted);
        Assert.Equal(12, finished.StepsDone);
        Assert.Equal(12L * 8 * 15, finished.TokensSeen);
        Assert.Equal(whole.Losses.Take(5), first.Losses);
        Assert.Equal(whole.Losses.Skip(5), resumed.Losses); // bit for bit: same weights, optimiser moments, data and schedule
    }

    [Fact]
    public void Resuming_with_other_training_options_is_refused()
    {
        using CausalLm teacherModel = TrainedTeacher();
        var teacher = new LocalGptTeacher(teacherModel);
        string folder = Path.Combine(_root, "run");
        Run(Options(6), teacher, folder, new LossRecorder());
        var error = Assert.Throws<ArgumentException>(() =>
            Run(Options(6) with { Lambda = 0.5 }, teacher, folder, new LossRecorder(), TrainingCheckpoint.Locate(folder)));
        Assert.Contains("other training options", error.Message);
    }

    [Fact]
    public void Prefetch_asks_for_each_micro_batch_once_and_cross_entropy_alone_asks_nothing()
    {
        using CausalLm teacherModel = TrainedTeacher();
        var teacher = new LocalGptTeacher(teacherModel);
        Run(Options(6), teacher, Path.Combine(_root, "kd"), new LossRecorder());
        Assert.Equal(6 * 2, teacher.Requests);

        var unused = new LocalGptTeacher(teacherModel);
        Run(Options(6) with { Lambda = 0 }, unused, Path.Combine(_root, "ce"), new LossRecorder());
        Assert.Equal(0, unused.Requests);
    }

    [Fact]
    public void A_teacher_version_change_is_counted_or_with_a_pin_stops_the_run()
    {
        using CausalLm teacherModel = TrainedTeacher();
        var teacher = new LocalGptTeacher(teacherModel) { };
        var reporter = new LossRecorder(report => { if (report.Step == 2) teacher.Version = "local-2"; });
        DistillResult result = Run(Options(6) with { PrefetchDepth = 0 }, teacher, Path.Combine(_root, "changing"), reporter);
        Assert.Equal(1, result.TeacherVersionChanges);
        Assert.Contains(reporter.Messages, m => m.Contains("local-1") && m.Contains("local-2"));

        var pinned = new LocalGptTeacher(teacherModel);
        var pinnedReporter = new LossRecorder(report => { if (report.Step == 2) pinned.Version = "local-2"; });
        Assert.ThrowsAny<Exception>(() =>
            Run(Options(6) with { PrefetchDepth = 0, PinTeacherVersion = true }, pinned, Path.Combine(_root, "pinned"), pinnedReporter));
    }

    [Fact]
    public void Distilling_brings_the_student_closer_to_the_teacher_than_cross_entropy()
    {
        using CausalLm teacherModel = TrainedTeacher();
        var teacher = new LocalGptTeacher(teacherModel);
        DistillOptions kd = Options(30) with { Lambda = 1, TopK = 16, CheckpointInterval = 100 };
        Run(kd, teacher, Path.Combine(_root, "kd"), new LossRecorder());
        Run(kd with { Lambda = 0 }, teacher, Path.Combine(_root, "ce"), new LossRecorder());

        double Kl(string folder)
        {
            using CausalLm student = ModelFolder.Load(TrainingCheckpoint.Locate(folder));
            using var noGrad = no_grad();
            (Tensor inputs, _) = Pattern(400, 9).SequentialBatches(8, 15).First();
            using Tensor p = nn.functional.log_softmax(teacherModel.Forward(inputs), -1);
            using Tensor q = nn.functional.log_softmax(student.Forward(inputs), -1);
            return (p.exp() * (p - q)).sum(-1).mean().item<float>();
        }
        double distilled = Kl(Path.Combine(_root, "kd")), crossEntropy = Kl(Path.Combine(_root, "ce"));
        Assert.True(distilled < crossEntropy, $"KL distilled {distilled} vs cross-entropy {crossEntropy}");
    }
}
