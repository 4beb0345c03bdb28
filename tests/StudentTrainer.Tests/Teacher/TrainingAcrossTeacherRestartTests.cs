using Distill.StudentTrainer.Data;
using Distill.StudentTrainer.Distillation;
using Distill.StudentTrainer.Model;
using Distill.StudentTrainer.Teacher;
using Distill.StudentTrainer.Tests.Export;
using Distill.StudentTrainer.Training;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.Teacher;

/// <summary>The distillation loop against a real TeacherServer process that is killed and started again mid-run.</summary>
public sealed class TrainingAcrossTeacherRestartTests(TeacherServerFixture fixture) : IClassFixture<TeacherServerFixture>, IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("distill-restart-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static readonly DistillOptions Options = new()
    {
        Student = Gpt2Config.Project(vocab: ExportTestFolder.TokenizerVocabSize, context: 32, width: 16, layers: 1, heads: 2, dropout: 0.0),
        Steps = 8, BatchSize = 4, SequenceLength = 24, TopK = 8, PeakLearningRate = 3e-3, FinalLearningRate = 3e-4, WarmupSteps = 2,
        EvalInterval = 100, CheckpointInterval = 100, Seed = 3,
    };

    private static TokenStream Data()
    {
        var random = new Random(8);
        return new TokenStream(Enumerable.Range(0, 3000).Select(_ => random.Next(0, 200)).ToArray());
    }

    private sealed class Recorder(Action<int>? onStep) : ITrainingReporter
    {
        public List<(int Step, double Loss)> Losses { get; } = [];
        public void Step(StepReport report)
        {
            if (report.Loss is double l) Losses.Add((report.Step, l));
            onStep?.Invoke(report.Step);
        }
        public void Evaluated(int step, string split, double meanLoss, double perplexity) { }
        public void Message(string text) { }
    }

    [Fact]
    public async Task The_teacher_killed_and_restarted_mid_run_costs_no_step_and_changes_no_loss()
    {
        await using TeacherServerProcess server = await fixture.StartServerAsync();
        using ReplicatedTeacher teacher = await TeacherConnector.ConnectAsync(
            [server.BaseAddress], null, fixture.Vocabulary, Options.SequenceLength, TeacherTestOptions.Fast);

        var uninterrupted = new Recorder(null);
        new DistillationTrainer(Options, uninterrupted) { LogInterval = 1 }
            .Run(new DistillRunContext(Data(), Path.Combine(_root, "a"), CPU, teacher));

        int firstProcess = server.ProcessId;
        Task? restart = null;
        var restarted = new Recorder(step =>
        {
            if (step != 3) return;
            server.StopAsync().GetAwaiter().GetResult(); // killed: the prefetched and next requests fail until it is back
            restart = Task.Run(async () =>
            {
                await Task.Delay(TimeSpan.FromSeconds(1.5));
                await server.StartAsync();
            });
        });
        DistillResult result = new DistillationTrainer(Options with { PrefetchDepth = 1 }, restarted) { LogInterval = 1 }
            .Run(new DistillRunContext(Data(), Path.Combine(_root, "b"), CPU, teacher));
        await restart!;

        Assert.NotEqual(firstProcess, server.ProcessId);
        Assert.False(result.Interrupted);
        Assert.Equal(Options.Steps, result.StepsDone);
        Assert.Equal(Enumerable.Range(1, Options.Steps), restarted.Losses.Select(l => l.Step)); // none lost, none repeated
        Assert.Equal(uninterrupted.Losses, restarted.Losses);
        Assert.True(result.TeacherWaitShare > 0);
        Assert.True(teacher.ReplicaStats.Single().Failures >= 1);
    }
}
