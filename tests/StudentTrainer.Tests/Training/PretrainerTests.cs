using Distill.StudentTrainer.Data;
using Distill.StudentTrainer.Model;
using Distill.StudentTrainer.Training;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.Training;

public sealed class PretrainerTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("distill-pretrain-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private sealed class RecordingReporter : ITrainingReporter
    {
        public List<(int Step, double Loss)> Losses { get; } = [];
        public List<(string Split, double Perplexity)> Evaluations { get; } = [];
        public void Step(StepReport report)
        {
            if (report.Loss is double l) Losses.Add((report.Step, l));
        }
        public void Evaluated(int step, string split, double meanLoss, double perplexity) => Evaluations.Add((split, perplexity));
        public void Message(string text) { }
    }

    private static TokenStream Pattern(int length, int seed)
    {
        // A strongly predictable stream: a repeated 7-token phrase with an occasional random token.
        var random = new Random(seed);
        int[] phrase = [3, 8, 1, 9, 4, 2, 6];
        return new TokenStream(Enumerable.Range(0, length)
            .Select(i => random.NextDouble() < 0.05 ? random.Next(0, 16) : phrase[i % phrase.Length]).ToArray());
    }

    private static PretrainOptions Options => new()
    {
        Model = Gpt2Config.Project(vocab: 16, context: 16, width: 32, layers: 1, heads: 2, dropout: 0.0),
        Steps = 60, BatchSize = 8, PeakLearningRate = 3e-3, FinalLearningRate = 3e-4, WarmupSteps = 5, EvalInterval = 30, Seed = 42,
    };

    [Fact]
    public void Training_learns_a_predictable_stream_saves_a_checkpoint_and_reports_perplexity()
    {
        var reporter = new RecordingReporter();
        PretrainResult result = new Pretrainer(Options, reporter).Run(Pattern(4000, 1), Pattern(600, 2), Pattern(600, 3), _folder, CPU);

        Assert.True(reporter.Losses[^1].Loss < reporter.Losses[0].Loss * 0.6, $"{reporter.Losses[0]} → {reporter.Losses[^1]}");
        Assert.InRange(result.ValidationPerplexity, 1.0, 4.0);
        Assert.InRange(result.TestPerplexity, 1.0, 4.0);
        Assert.Equal(["validation", "validation", "test"], reporter.Evaluations.Select(e => e.Split));
        Assert.Equal(60L * 8 * 16, result.TrainTokensSeen);
        using CausalLm loaded = ModelFolder.Load(_folder);
        Assert.Equal(Options.Model, loaded.Config);
    }

    [Fact]
    public void Same_seed_gives_the_same_losses()
    {
        var first = new RecordingReporter();
        var second = new RecordingReporter();
        var shorter = Options with { Steps = 20, EvalInterval = 100 };
        new Pretrainer(shorter, first).Run(Pattern(2000, 1), Pattern(300, 2), Pattern(300, 3), _folder, CPU);
        new Pretrainer(shorter, second).Run(Pattern(2000, 1), Pattern(300, 2), Pattern(300, 3), _folder, CPU);
        Assert.Equal(first.Losses, second.Losses);
    }
}
