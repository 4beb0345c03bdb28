using Distill.Shared.Wire;
using Distill.StudentTrainer.Data;
using Distill.StudentTrainer.Distillation;
using Distill.StudentTrainer.Evaluation;
using Distill.StudentTrainer.Model;
using Distill.StudentTrainer.Schemes;
using Distill.StudentTrainer.Teacher;
using Distill.StudentTrainer.Tests.Distillation;
using Distill.StudentTrainer.Tests.Training;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.Schemes;

public sealed class PairDistillationTrainerTests : IDisposable
{
    private const int PromptTokens = 6, ResponseTokens = 6;

    private static readonly ModelConfig StudentConfig = Gpt2Config.Project(vocab: 16, context: 16, width: 16, layers: 1, heads: 2, dropout: 0.0);

    private readonly string _root = Directory.CreateTempSubdirectory("distill-pairs-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary><paramref name="count"/> consecutive prompt → continuation pairs of the test pattern.</summary>
    private static TokenizedPair[] Pairs(int count, int seed)
    {
        int length = PromptTokens + ResponseTokens;
        TokenStream stream = DistillationTrainerTests.Pattern(count * length, seed);
        ReadOnlySpan<int> tokens = stream.Read(0, stream.Count);
        var pairs = new TokenizedPair[count];
        for (int i = 0; i < count; i++)
            pairs[i] = new TokenizedPair(tokens.Slice(i * length, PromptTokens).ToArray(), tokens.Slice(i * length + PromptTokens, ResponseTokens).ToArray());
        return pairs;
    }

    private static PairDistillOptions Options(TrainMode mode, int steps = 12) => new()
    {
        Mode = mode,
        Distill = new DistillOptions
        {
            Student = StudentConfig, Steps = steps, BatchSize = 2, SequenceLength = 15, PeakLearningRate = 3e-3, FinalLearningRate = 3e-4,
            WarmupSteps = 3, TopK = 5, Lambda = 0.7, EvalInterval = 4, CheckpointInterval = 6, Seed = 5,
        },
        ReplayCapacity = 4,
    };

    private PairDistillResult Run(PairDistillOptions options, ITeacher? teacher, string folder, LossRecorder? reporter = null,
        List<PairBatchReport>? batches = null, Func<CausalLm, int, double>? validationLoss = null, string? resumeFrom = null,
        CancellationToken stop = default, MetricsLog? metrics = null, TokenizedPair[]? train = null, Action<PairBatchReport>? onBatch = null) =>
        new PairDistillationTrainer(options, reporter ?? new LossRecorder()) { LogInterval = 1 }.Run(new PairRunContext(
            train ?? Pairs(24, 2), new RunSetting(Path.Combine(_root, folder), CPU, Metrics: metrics, ResumeFrom: resumeFrom, Stop: stop),
            teacher, Validation: Pairs(4, 3), ValidationLoss: validationLoss,
            OnBatch: batches is null && onBatch is null ? null : b => { batches?.Add(b); onBatch?.Invoke(b); }));

    private static bool Same(TokenizedPair a, TokenizedPair b) => a.Prompt.SequenceEqual(b.Prompt) && a.Response.SequenceEqual(b.Response);

    /// <summary>A validation loss given by step (DistiLLM evaluates at step 0 and every EvalInterval steps).</summary>
    private static Func<CausalLm, int, double> LossesByStep(params (int Step, double Loss)[] losses) =>
        (_, step) => losses.Single(l => l.Step == step).Loss;

    [Fact]
    public async Task Prompt_positions_carry_no_loss_and_response_positions_do()
    {
        using CausalLm teacherModel = DistillationTrainerTests.TrainedTeacher();
        var teacher = new LocalGptTeacher(teacherModel);
        DistillOptions options = Options(TrainMode.OffPolicy).Distill;
        TokenizedPair[] pairs = [.. Pairs(3, 4).Take(2), new TokenizedPair([3, 8], [1, 9, 4])]; // one shorter pair: padding too
        using var batch = PromptResponseBatch.Build(pairs, CPU);
        using TeacherTargets answer = TeacherTargets.From(
            await teacher.TopKAsync(new(PromptResponseBatch.InputRows(pairs), options.TopK), default), (int)batch.Inputs.shape[1]);
        manual_seed(3);
        using var student = StudentConfig.CreateModel();

        (double Loss, float[] Gradient) LossWith(Tensor targets)
        {
            student.zero_grad();
            using var scope = NewDisposeScope();
            Tensor loss = DistillationStep.Loss(student, batch.Inputs, targets, batch.Mask, answer, options).Loss;
            loss.backward();
            return (loss.item<float>(), student.parameters().First().grad!.data<float>().ToArray());
        }

        (double loss, float[] gradient) = LossWith(batch.Targets);
        using Tensor otherPromptTargets = batch.Targets.where(batch.Mask, batch.Targets.add(Scalars.Of(5L)).remainder(Scalars.Of(16L)));
        (double samePromptLoss, float[] sameGradient) = LossWith(otherPromptTargets);
        Assert.Equal(loss, samePromptLoss);
        Assert.Equal(gradient, sameGradient);

        using Tensor otherResponseTargets = batch.Targets.where(batch.Mask.logical_not(), batch.Targets.add(Scalars.Of(5L)).remainder(Scalars.Of(16L)));
        Assert.NotEqual(loss, LossWith(otherResponseTargets).Loss);
    }

    [Fact]
    public void Offpolicy_trains_on_gold_pairs_with_each_micro_batch_asked_of_the_teacher_once()
    {
        using CausalLm teacherModel = DistillationTrainerTests.TrainedTeacher();
        var teacher = new LocalGptTeacher(teacherModel);
        var batches = new List<PairBatchReport>();
        PairDistillOptions options = Options(TrainMode.OffPolicy) with { Distill = Options(TrainMode.OffPolicy).Distill with { GradientAccumulation = 2 } };
        PairDistillResult result = Run(options, teacher, "offpolicy", batches: batches);

        Assert.Equal(12 * 2, teacher.Requests);
        Assert.Equal(12L * 2 * 2 * ResponseTokens, result.Run.TokensSeen);                    // response tokens only
        Assert.All(batches, b => Assert.Equal(BatchSource.Gold, b.Source));
        TokenizedPair[] gold = Pairs(24, 2);
        Assert.All(batches.SelectMany(b => b.Pairs), pair => Assert.Contains(gold, g => Same(g, pair)));
        Assert.Equal(new BatchSourceCounts(24, 0, 0), result.Sources);
    }

    [Fact]
    public async Task Seqkd_trains_on_the_responses_the_teacher_generated_and_keeps_them_in_the_run_folder()
    {
        using CausalLm teacherModel = DistillationTrainerTests.TrainedTeacher();
        var teacher = new LocalGptTeacher(teacherModel);
        var batches = new List<PairBatchReport>();
        PairDistillResult result = Run(Options(TrainMode.SeqKd, steps: 6), teacher, "seqkd", batches: batches);

        TokenizedPair[] gold = Pairs(24, 2);
        TeacherResponseSet expected = await TeacherResponses.GetAsync(new LocalGptTeacher(teacherModel), gold.Select(p => p.Prompt).ToArray(),
            new TeacherResponseOptions { MaxNewTokens = ResponseTokens, Seed = 5 }, default);
        TokenizedPair[] trained = [.. batches.SelectMany(b => b.Pairs)];
        Assert.Equal(6 * 2, trained.Length);
        Assert.All(trained, pair => Assert.Contains(expected.Pairs, generated => Same(generated, pair)));
        Assert.Contains(trained, pair => !gold.Any(g => Same(g, pair)));
        Assert.True(File.Exists(result.TeacherResponses!.File));
        Assert.StartsWith(Path.Combine(_root, "seqkd"), result.TeacherResponses.File);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    [InlineData(1.0)]
    public void Onpolicy_samples_from_the_student_in_a_share_lambda_of_the_batches(double studentFraction)
    {
        using CausalLm teacherModel = DistillationTrainerTests.TrainedTeacher();
        var teacher = new LocalGptTeacher(teacherModel);
        var batches = new List<PairBatchReport>();
        const int steps = 60;
        PairDistillResult result = Run(Options(TrainMode.OnPolicy, steps) with { StudentFraction = studentFraction }, teacher,
            $"onpolicy-{studentFraction}", batches: batches);

        long generated = batches.Count(b => b.Source == BatchSource.Generate);
        Assert.Equal(generated, result.Sources.Generate);
        Assert.Equal(steps, teacher.Requests);                                // every batch asked once, after sampling
        if (studentFraction is 0 or 1) Assert.Equal((long)(steps * studentFraction), generated);
        else Assert.InRange(generated, steps * studentFraction - 12, steps * studentFraction + 12); // ±3σ of a binomial(60, 0.5) is ±11.6

        TokenizedPair[] gold = Pairs(24, 2);
        foreach (PairBatchReport batch in batches.Where(b => b.Source == BatchSource.Generate))
            Assert.All(batch.Pairs, pair => Assert.Equal(ResponseTokens, pair.Response.Length));
        if (generated > 0)
            Assert.Contains(batches.Where(b => b.Source == BatchSource.Generate).SelectMany(b => b.Pairs), pair => !gold.Any(g => Same(g, pair)));
    }

    [Fact]
    public void Onpolicy_asks_the_top_k_of_gold_batches_ahead_and_that_of_sampled_ones_once_they_are_sampled()
    {
        using CausalLm teacherModel = DistillationTrainerTests.TrainedTeacher();
        var teacher = new RecordingTeacher(new LocalGptTeacher(teacherModel));
        var batches = new List<PairBatchReport>();
        var goldAskedAhead = new List<bool>();
        const int steps = 30;
        Run(Options(TrainMode.OnPolicy, steps) with { StudentFraction = 0.5 }, teacher, "onpolicy-prefetch", batches: batches,
            onBatch: b =>
            {
                // The trainer waits here, before it asks for this batch: a gold one must have been asked already.
                if (b.Source == BatchSource.Gold) goldAskedAhead.Add(teacher.WaitForAsked(RecordingTeacher.Key(PromptResponseBatch.InputRows(b.Pairs))));
            });

        Assert.Equal(steps, teacher.Asked.Count);                            // every batch once: no gold guess was wrong
        Assert.NotEmpty(goldAskedAhead);
        Assert.All(goldAskedAhead, Assert.True);
        Assert.All(batches.Where(b => b.Source == BatchSource.Generate),
            b => Assert.Single(teacher.Asked, RecordingTeacher.Key(ResponseTopK.Request(b.Pairs, 5, 1f).Sequences)));
        Assert.Contains(batches, b => b.Source == BatchSource.Generate);
    }

    /// <summary>Keeps the rows of every top-k request and lets a test wait for one.</summary>
    private sealed class RecordingTeacher(LocalGptTeacher inner) : ITeacher
    {
        private readonly List<string> _asked = [];

        public List<string> Asked { get { lock (_asked) return [.. _asked]; } }

        public static string Key(int[][] rows) => string.Join("|", rows.Select(r => string.Join(",", r)));

        public bool WaitForAsked(string key)
        {
            var deadline = DateTime.UtcNow.AddSeconds(10);
            lock (_asked)
            {
                while (!_asked.Contains(key))
                {
                    TimeSpan left = deadline - DateTime.UtcNow;
                    if (left <= TimeSpan.Zero || !Monitor.Wait(_asked, left)) return _asked.Contains(key);
                }
                return true;
            }
        }

        public ModelInfo Model => inner.Model;

        public Task<TopKResult> TopKAsync(TopKRequest request, CancellationToken ct)
        {
            lock (_asked)
            {
                _asked.Add(Key(request.Sequences));
                Monitor.PulseAll(_asked);
            }
            return inner.TopKAsync(request, ct);
        }

        public Task<GenerateResponse> GenerateAsync(GenerateRequest request, CancellationToken ct) => inner.GenerateAsync(request, ct);
    }

    [Fact]
    public void Distillm_raises_the_threshold_when_the_validation_loss_climbs_epsilon_above_its_reference()
    {
        using CausalLm teacherModel = DistillationTrainerTests.TrainedTeacher();
        var teacher = new LocalGptTeacher(teacherModel);
        var batches = new List<PairBatchReport>();
        string folder = Path.Combine(_root, "distillm-threshold");
        PairDistillResult result;
        using (MetricsLog metrics = MetricsLog.Open(folder))
        {
            result = Run(Options(TrainMode.Distillm) with { ReplayCapacity = 1000 }, teacher, "distillm-threshold", batches: batches, metrics: metrics,
                validationLoss: LossesByStep((0, 3.0), (4, 3.05), (8, 3.1)));  // ε = 0.1: only the last is a rise
        }

        Assert.All(batches.Where(b => b.Step < 8), b => Assert.Equal(0.0, b.Threshold));
        Assert.All(batches.Where(b => b.Step < 8), b => Assert.Equal(BatchSource.Gold, b.Source)); // τ = 0: gold only
        Assert.All(batches.Where(b => b.Step >= 8), b => Assert.Equal(0.1, b.Threshold!.Value, 12));
        Assert.Equal(0.1, result.Threshold!.Value, 12);
        double[] logged = [.. MetricsLog.ReadAll(folder).Where(r => r.Kind == SchemeMetricNames.Record)
            .Select(r => r.Get(SchemeMetricNames.ValidationResponseLoss)!.Value)];
        Assert.Equal([3.0, 3.05, 3.1], logged);
    }

    [Fact]
    public void Distillm_fills_the_buffer_with_student_samples_and_replays_batches_drawn_from_it()
    {
        using CausalLm teacherModel = DistillationTrainerTests.TrainedTeacher();
        var teacher = new LocalGptTeacher(teacherModel);
        var batches = new List<PairBatchReport>();
        PairDistillOptions options = Options(TrainMode.Distillm, steps: 16) with { Distillm = new DistillmOptions(InitThreshold: 1.0) };
        PairDistillResult result = Run(options, teacher, "distillm-buffer", batches: batches, validationLoss: (_, _) => 3.0);

        var pushed = new List<TokenizedPair>();
        foreach (PairBatchReport batch in batches)
        {
            Assert.Equal(Math.Min(pushed.Count, options.ReplayCapacity), batch.ReplayBufferCount);
            if (batch.ReplayBufferCount < options.ReplayCapacity) Assert.Equal(BatchSource.Generate, batch.Source); // τ = 1 while not full
            if (batch.Source == BatchSource.Replay)
                Assert.All(batch.Pairs, pair => Assert.Contains(pair, pushed.TakeLast(options.ReplayCapacity))); // FIFO: the newest ones
            if (batch.Source == BatchSource.Generate) pushed.AddRange(batch.Pairs);
        }
        Assert.Contains(batches, b => b.Source == BatchSource.Replay);
        Assert.DoesNotContain(batches, b => b.Source == BatchSource.Gold);
        Assert.Equal(options.ReplayCapacity, result.ReplayBufferCount);
        Assert.Equal(batches.Count(b => b.Source == BatchSource.Replay), result.Sources.Replay);
    }

    [Fact]
    public void Resuming_distillm_gives_the_losses_buffer_and_threshold_of_an_uninterrupted_run()
    {
        using CausalLm teacherModel = DistillationTrainerTests.TrainedTeacher();
        var teacher = new LocalGptTeacher(teacherModel);
        PairDistillOptions options = Options(TrainMode.Distillm) with { Distillm = new DistillmOptions(InitThreshold: 0.5) };
        Func<CausalLm, int, double> losses = LossesByStep((0, 3.0), (4, 3.2), (8, 3.5));
        var whole = new LossRecorder();
        var wholeBatches = new List<PairBatchReport>();
        PairDistillResult uninterrupted = Run(options, teacher, "whole", whole, wholeBatches, losses);
        Assert.Contains(wholeBatches, b => b.Step >= 5 && b.Source == BatchSource.Replay);  // the saved buffer matters after the resume

        using var stop = new CancellationTokenSource();
        var first = new LossRecorder(report => { if (report.Step == 5) stop.Cancel(); });
        PairDistillResult interrupted = Run(options, teacher, "interrupted", first, validationLoss: losses, stop: stop.Token);
        Assert.True(interrupted.Run.Interrupted);
        string checkpoint = TrainingCheckpoint.Locate(Path.Combine(_root, "interrupted"));
        Assert.Equal(5, TrainingCheckpoint.ReadState(checkpoint).Step);

        var resumed = new LossRecorder();
        var resumedBatches = new List<PairBatchReport>();
        PairDistillResult finished = Run(options, teacher, "interrupted", resumed, resumedBatches, losses, checkpoint);
        Assert.Equal(12, finished.Run.StepsDone);
        Assert.Equal(whole.Losses.Take(5), first.Losses);
        Assert.Equal(whole.Losses.Skip(5), resumed.Losses);     // bit for bit: weights, optimiser, buffer, threshold, random draws
        Assert.Equal(wholeBatches.Where(b => b.Step >= 5).Select(b => b.Source), resumedBatches.Select(b => b.Source));
        Assert.Equal(uninterrupted.Sources, finished.Sources);
        Assert.Equal(uninterrupted.Threshold, finished.Threshold);
        Assert.Equal(uninterrupted.Run.TokensSeen, finished.Run.TokensSeen);
    }

    [Fact]
    public void Resuming_with_another_mode_option_or_other_pairs_is_refused()
    {
        using CausalLm teacherModel = DistillationTrainerTests.TrainedTeacher();
        var teacher = new LocalGptTeacher(teacherModel);
        Run(Options(TrainMode.OnPolicy, steps: 6), teacher, "run");
        string checkpoint = TrainingCheckpoint.Locate(Path.Combine(_root, "run"));
        var options = Assert.Throws<ArgumentException>(() =>
            Run(Options(TrainMode.OnPolicy, steps: 6) with { StudentFraction = 0.9 }, teacher, "run", resumeFrom: checkpoint));
        Assert.Contains("other training options", options.Message);
        var pairs = Assert.Throws<ArgumentException>(() =>
            Run(Options(TrainMode.OnPolicy, steps: 6), teacher, "run", resumeFrom: checkpoint, train: Pairs(24, 7)));
        Assert.Contains("other prompt → response pairs", pairs.Message);
    }
}
