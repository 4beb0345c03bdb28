using System.Diagnostics;
using Distill.Shared.Wire;
using Distill.StudentTrainer.Data;
using Distill.StudentTrainer.Distillation;
using Distill.StudentTrainer.Generation;
using Distill.StudentTrainer.Model;
using Distill.StudentTrainer.Teacher;
using Distill.StudentTrainer.Training;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Schemes;

/// <summary>Where a pair run's pieces come from; everything optional is null when unused.</summary>
/// <param name="Train">The training pairs; each prompt + response fits the student's context.</param>
/// <param name="Run">Run folder, device, evaluator, metrics, initial weights, resume, stop.</param>
/// <param name="Teacher">Answers top-k (λ &gt; 0) and generates SeqKD's responses; required when either is needed.</param>
/// <param name="Validation">Pairs whose response cross-entropy DistiLLM's schedule watches (distillm, unless <paramref name="ValidationLoss"/> is given).</param>
/// <param name="EosId">The end-of-sequence id a student sample stops at; null: samples run to the pair's response length.</param>
/// <param name="ValidationLoss">Replaces the validation loss DistiLLM's schedule observes: (student, step) → loss.</param>
/// <param name="OnBatch">Sees every training batch as it is built.</param>
public sealed record PairRunContext(
    IReadOnlyList<TokenizedPair> Train,
    RunSetting Run,
    ITeacher? Teacher = null,
    IReadOnlyList<TokenizedPair>? Validation = null,
    int? EosId = null,
    Func<CausalLm, int, double>? ValidationLoss = null,
    Action<PairBatchReport>? OnBatch = null);

/// <summary>One training batch, as <see cref="PairDistillationTrainer"/> built it.</summary>
/// <param name="Step">The optimiser step (0-based).</param>
/// <param name="Threshold">DistiLLM's threshold τ when the batch was chosen; null in other modes.</param>
/// <param name="ReplayBufferCount">Samples in the replay buffer when the batch was chosen; null in other modes.</param>
public sealed record PairBatchReport(int Step, int MicroBatch, BatchSource Source, IReadOnlyList<TokenizedPair> Pairs,
                                     double? Threshold, int? ReplayBufferCount);

/// <summary>
/// Distils on prompt → response pairs, with the loss on the response tokens only, in the modes of docs/papers.md: offpolicy
/// (gold responses), seqkd (the teacher's responses, generated once before training and kept in the run folder),
/// onpolicy (GKD: per batch, student samples with probability λ, else gold) and distillm (DistiLLM's adaptive
/// schedule: student samples pushed into a replay buffer, replays from it, or gold). The objective is the corpus
/// trainer's, (1 − λ)·CE + λ·D, with CE on the same batch's response tokens, gold or sampled. The teacher's top-k of gold
/// batches is prefetched in every mode (a batch's source is decided by a draw of its own, known ahead); that of sampled
/// batches is asked once they are sampled. Every other random choice of step n comes from a generator seeded by
/// (seed, n), so a resumed run repeats the uninterrupted one exactly. With gradient
/// accumulation each micro-batch is chosen on its own, and the samples a step generates enter the buffer after it.
/// </summary>
public sealed class PairDistillationTrainer(PairDistillOptions options, ITrainingReporter reporter)
{
    /// <summary>Read the loss back every this many steps (and at the last).</summary>
    public int LogInterval { get; init; } = 10;

    public PairDistillResult Run(PairRunContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        options.Validate();
        Validate(context);
        DistillOptions distill = options.Distill;
        RunSetting run = context.Run;
        Device device = run.Device;
        int accumulation = distill.GradientAccumulation;
        bool distillm = options.Mode == TrainMode.Distillm;
        string trainSha256 = PairSchemeState.HashPairs(context.Train);
        PairSchemeState? resumed = run.ResumeFrom is null ? null : ResumedState(run.ResumeFrom, trainSha256);

        (TeacherResponseSet? teacherResponses, TeacherResponseKey? responsesKey) =
            options.Mode == TrainMode.SeqKd ? TeacherResponsesOf(context, resumed) : (null, null);
        IReadOnlyList<TokenizedPair> pairs = teacherResponses is null
            ? context.Train
            : teacherResponses.Pairs.Select(p => PromptResponseTokens.Fit(p.Prompt, p.Response, distill.Student.ContextLength)).ToArray();
        if (pairs.Count == 0) throw new InvalidDataException("the teacher answered every prompt with an empty response: nothing to train on");

        using var loop = new TrainingLoop(distill, reporter, run) { LogInterval = LogInterval };
        if (teacherResponses is not null) loop.Versions.Record(teacherResponses.TeacherVersion);
        CausalLm model = loop.Model;
        var sampler = new PairSampler(pairs.Count, distill.BatchSize, distill.Seed);
        var mixer = new OnPolicyMixer(options.StudentFraction);
        DistillmSchedule schedule = resumed?.Schedule is { } state ? new(options.Distillm, state) : new(options.Distillm);
        var buffer = new ReplayBuffer<TokenizedPair>(options.ReplayCapacity, resumed?.ReplayBuffer ?? []);
        BatchSourceCounts sources = resumed?.Sources ?? BatchSourceCounts.None;

        var draws = new BatchSourceDraws(distill.Seed);
        using var prefetcher = distill.UsesTeacher
            ? new TeacherPrefetcher(context.Teacher!, n => PromptResponseBatch.InputRows(GoldBatch(n)), distill.TopK, (float)distill.Temperature,
                distill.PrefetchDepth, (long)distill.Steps * accumulation, options.Mode is TrainMode.OffPolicy or TrainMode.SeqKd ? null : IsGold)
            : null;
        var asking = new Stopwatch();                  // waiting for the top-k of sampled batches, which cannot be prefetched
        prefetcher?.Request((long)loop.StartStep * accumulation);
        DistillResult result = loop.Run(TrainStep, new TrainingHooks(
            AfterEvaluation: ObserveValidationLoss,
            SaveExtra: (folder, _) => SchemeState().Save(folder),
            TeacherWait: distill.UsesTeacher ? () => asking.Elapsed + (prefetcher?.Waited ?? TimeSpan.Zero) : null));
        return new PairDistillResult(result, options.Mode, sources, distillm ? schedule.Threshold : null, distillm ? buffer.Count : null,
            teacherResponses);

        StepOutcome TrainStep(int step)
        {
            using var scope = NewDisposeScope();
            Random random = StepRandom.For(distill.Seed, step);
            loop.Optimizer.zero_grad();
            Tensor sums = StepLosses.Sums(device);
            long tokens = 0;
            BatchSourceCounts counts = sources;
            var generated = new List<TokenizedPair>();
            for (int micro = 0; micro < accumulation; micro++)
            {
                long batchIndex = (long)step * accumulation + micro;
                (BatchSource source, IReadOnlyList<TokenizedPair> batchPairs) = Choose(batchIndex, random);
                context.OnBatch?.Invoke(new PairBatchReport(step, micro, source, batchPairs,
                    distillm ? schedule.Threshold : null, distillm ? buffer.Count : null));
                if (distillm && source == BatchSource.Generate) generated.AddRange(batchPairs);
                counts = counts.Plus(source);

                PromptResponseBatch batch = PromptResponseBatch.Build(batchPairs, device);
                int length = (int)batch.Inputs.shape[1];
                using TeacherTargets? teacher = !distill.UsesTeacher ? null
                    : source == BatchSource.Gold ? Answer(prefetcher!.Take(batchIndex, run.Stop), length)
                    : Ask(batchPairs, length);
                (Tensor loss, Tensor crossEntropy, Tensor divergence) = DistillationStep.Loss(model, batch.Inputs, batch.Targets, batch.Mask,
                    teacher?.To(device), distill);
                loss.div(Scalars.Of(accumulation)).backward();
                StepLosses.Add(sums, loss, crossEntropy, divergence);
                tokens += batchPairs.Sum(p => p.Response.Length);
            }
            loop.ClipAndStep();
            buffer.Push(generated);               // after the step, so a checkpoint of the step before holds the buffer before it
            sources = counts;
            return new StepOutcome(loop.IsLogStep(step) ? StepLosses.Mean(sums, accumulation) : null, tokens, StepMetrics());
        }

        BatchSource SourceOf(long batchIndex, bool bufferFull)
        {
            int step = (int)(batchIndex / accumulation);
            return options.Mode switch
            {
                TrainMode.OnPolicy => mixer.Decide(draws.For(batchIndex)),
                TrainMode.Distillm => schedule.Decide(step + 1, distill.Steps, draws.For(batchIndex), bufferFull), // DistiLLM counts steps from 1
                _ => BatchSource.Gold,
            };
        }

        // Whether a batch will be gold, by the schedule as it stands: DistiLLM's τ only rises, so a batch this calls gold
        // may turn out sampled (its prefetched answer is dropped), never the other way round; the buffer decides only
        // between generating and replaying.
        bool IsGold(long batchIndex) => SourceOf(batchIndex, bufferFull: true) == BatchSource.Gold;

        (BatchSource, IReadOnlyList<TokenizedPair>) Choose(long batchIndex, Random random)
        {
            BatchSource source = SourceOf(batchIndex, buffer.IsFull);
            return source switch
            {
                BatchSource.Generate => (source, Sample(GoldBatch(batchIndex), random.Next())),
                BatchSource.Replay => (source, buffer.Sample(distill.BatchSize, random)),
                _ => (source, GoldBatch(batchIndex)),
            };
        }

        IReadOnlyList<TokenizedPair> GoldBatch(long batchIndex) => sampler.IndicesOf(batchIndex).Select(i => pairs[i]).ToArray();

        // Pure sampling from the student for the gold prompts, each response at most as long as the gold one.
        IReadOnlyList<TokenizedPair> Sample(IReadOnlyList<TokenizedPair> gold, int seed)
        {
            var generation = new GenerationOptions
            {
                MaxNewTokens = gold.Max(p => p.Response.Length), Temperature = PairDistillOptions.SamplingTemperature, TopP = 1.0,
                Seed = seed, EosId = context.EosId,
            };
            int[][] responses = ResponseSampler.Sample(model, gold.Select(p => (IReadOnlyList<int>)p.Prompt).ToArray(), generation);
            return gold.Select((pair, i) => new TokenizedPair(pair.Prompt,
                responses[i].Length > pair.Response.Length ? responses[i][..pair.Response.Length] : responses[i])).ToArray();
        }

        // A sampled or replayed batch is asked from each row's last prompt position: its prompt may be in the teacher's cache.
        TeacherTargets Ask(IReadOnlyList<TokenizedPair> batchPairs, int length)
        {
            TopKRequest request = ResponseTopK.Request(batchPairs, distill.TopK, (float)distill.Temperature);
            asking.Start();
            try
            {
                TopKResult answer = context.Teacher!.TopKAsync(request, run.Stop).GetAwaiter().GetResult();
                loop.Versions.Record(answer.Version);
                return ResponseTopK.Targets(answer, batchPairs, length);
            }
            finally
            {
                asking.Stop();
            }
        }

        TeacherTargets Answer(TopKResult answer, int length)
        {
            loop.Versions.Record(answer.Version);
            return TeacherTargets.From(answer, length);
        }

        void ObserveValidationLoss(int at)
        {
            if (!distillm || at >= distill.Steps) return;
            double loss = context.ValidationLoss?.Invoke(model, at)
                          ?? ResponseCrossEntropy.Mean(model, context.Validation!, distill.BatchSize, device);
            // The schedule changes last, so a failure before leaves it as the checkpoint's evaluation-due tail expects.
            var observed = new DistillmSchedule(options.Distillm, schedule.State);
            bool rose = observed.ObserveValidationLoss(loss);
            run.Metrics?.Append(at, SchemeMetricNames.Record,
                (SchemeMetricNames.ValidationResponseLoss, loss), (SchemeMetricNames.Threshold, observed.Threshold));
            reporter.Message($"step {at}: validation response cross-entropy {loss:F4}, DistiLLM threshold {observed.Threshold:F1}"
                             + (rose ? " (rose: the loss is ε above its reference)" : ""));
            schedule = observed;
        }

        IReadOnlyList<(string, double)> StepMetrics()
        {
            var values = new List<(string, double)>
            {
                (SchemeMetricNames.GoldBatches, sources.Gold), (SchemeMetricNames.GeneratedBatches, sources.Generate),
                (SchemeMetricNames.ReplayedBatches, sources.Replay),
            };
            if (distillm) values.AddRange([(SchemeMetricNames.Threshold, schedule.Threshold), (SchemeMetricNames.ReplayBuffer, buffer.Count)]);
            return values;
        }

        PairSchemeState SchemeState() => new()
        {
            Options = options,
            Sources = sources,
            TrainSha256 = trainSha256,
            Schedule = distillm ? schedule.State : null,
            ReplayBuffer = distillm ? buffer.Snapshot() : null,
            TeacherResponses = responsesKey,
        };
    }

    private void Validate(PairRunContext context)
    {
        ArgumentNullException.ThrowIfNull(context.Train);
        ArgumentNullException.ThrowIfNull(context.Run);
        if (context.Train.Count == 0) throw new ArgumentException("training needs at least one prompt → response pair");
        int contextLength = options.Distill.Student.ContextLength;
        CheckPairs(context.Train, "training", contextLength);
        if (options.Distill.UsesTeacher && context.Teacher is null) throw new ArgumentException("λ > 0 needs a teacher");
        if (options.Mode == TrainMode.SeqKd && context.Teacher is null) throw new ArgumentException("seqkd needs a teacher to generate the responses");
        if (options.Mode == TrainMode.Distillm && context.ValidationLoss is null)
        {
            if (context.Validation is not { Count: > 0 }) throw new ArgumentException("distillm needs validation pairs: its schedule watches their loss");
            CheckPairs(context.Validation, "validation", contextLength);
        }
    }

    private static void CheckPairs(IReadOnlyList<TokenizedPair> pairs, string what, int contextLength)
    {
        for (int i = 0; i < pairs.Count; i++)
        {
            TokenizedPair pair = pairs[i];
            if (pair.Prompt.Length == 0 || pair.Response.Length == 0)
                throw new ArgumentException($"{what} pair {i} has an empty prompt or response");
            if (pair.Prompt.Length + pair.Response.Length > contextLength)
                throw new ArgumentException($"{what} pair {i} has {pair.Prompt.Length + pair.Response.Length} tokens, more than the student's context of {contextLength}");
        }
    }

    private PairSchemeState ResumedState(string checkpointFolder, string trainSha256)
    {
        PairSchemeState state = PairSchemeState.Read(checkpointFolder);
        if (state.Options with { Distill = options.Distill } != options)
            throw new ArgumentException($"the checkpoint in '{checkpointFolder}' was written with other training options; resume with the same options");
        if (state.TrainSha256 != trainSha256)
            throw new ArgumentException($"the checkpoint in '{checkpointFolder}' was trained on other prompt → response pairs; resume with the same task files");
        return state;
    }

    /// <summary>SeqKD's responses: those the resumed run trained on, or the teacher's (read from the run folder when made before).</summary>
    private (TeacherResponseSet, TeacherResponseKey) TeacherResponsesOf(PairRunContext context, PairSchemeState? resumed)
    {
        int[][] prompts = context.Train.Select(p => p.Prompt).ToArray();
        if (resumed?.TeacherResponses is { } key)
        {
            string file = Path.Combine(context.Run.RunFolder, key.FileName);
            TeacherResponseSet saved = TeacherResponses.TryRead(file, key, prompts)
                ?? throw new InvalidDataException($"the teacher responses this run trained on ({file}) are missing or were changed");
            return (saved, key);
        }
        var responseOptions = new TeacherResponseOptions
        {
            MaxNewTokens = context.Train.Max(p => p.Response.Length), Temperature = (float)PairDistillOptions.SamplingTemperature, TopP = 1f,
            Seed = options.Distill.Seed, CacheFolder = context.Run.RunFolder,
        };
        var clock = Stopwatch.StartNew();
        TeacherResponseSet set = TeacherResponses.GetAsync(context.Teacher!, prompts, responseOptions, context.Run.Stop).GetAwaiter().GetResult();
        reporter.Message(set.FromFile
            ? $"seqkd: {set.Pairs.Count} teacher responses read from {set.File}"
            : $"seqkd: {set.Pairs.Count} teacher responses generated in {clock.Elapsed.TotalSeconds:F1} s"
              + (set.EmptyDropped > 0 ? $" ({set.EmptyDropped} empty ones dropped)" : "") + $"; kept in {set.File}");
        return (set, TeacherResponseKey.Of(set.TeacherVersion, prompts, responseOptions));
    }
}
