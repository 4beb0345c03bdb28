using System.Diagnostics;
using Distill.StudentTrainer.Data;
using Distill.StudentTrainer.Distillation;
using Distill.StudentTrainer.Evaluation;
using Distill.StudentTrainer.Model;
using Distill.StudentTrainer.Teacher;
using Distill.StudentTrainer.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Schemes;

/// <summary>
/// MiniLLM's policy-gradient distillation, flat: per step, a rollout of responses from the teacher-mixed distribution
/// (<see cref="MiniLlmRolloutSampler"/>), its rewards and returns, then PPO epochs over it, each one update of
/// clipped policy gradient + single-step KL + lm-coef × cross-entropy on corpus windows → backward → clip → AdamW →
/// warmup + cosine over the updates. Prompts, corpus windows and sampling seeds are pure functions of (seed, step), and
/// checkpoints keep the weights, the optimiser and torch's generator, so a resumed run continues exactly.
/// </summary>
public sealed class MiniLlmTrainer(MiniLlmTrainerOptions options, ITrainingReporter reporter)
{
    public MiniLlmResult Run(MiniLlmRunContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        options.Validate();
        if (context.Pairs.Count == 0) throw new ArgumentException("MiniLLM needs prompt/response pairs to roll out");
        if (context.Teacher.Model.VocabSize != options.Student.VocabSize)
            throw new ArgumentException($"the teacher has {context.Teacher.Model.VocabSize} logits, the student {options.Student.VocabSize}");
        Device device = context.Device;
        torch.manual_seed(options.Seed);
        using CausalLm model = context.InitialWeights is null ? options.Student.CreateModel() : ModelFolder.LoadOfShape(context.InitialWeights, options.Student);
        model.to(device);
        model.train();
        using AdamWOptimizer optimizer = AdamWFactory.Create(model, options.PeakLearningRate, options.WeightDecay);
        var schedule = new LearningRateSchedule(options.PeakLearningRate, options.FinalLearningRate, options.WarmupSteps, options.Updates);
        Parameter[] parameters = model.parameters().ToArray();
        var prompts = new PromptOrder(context.Pairs.Count, options.BatchSize, options.Seed);
        WindowSampler? windows = options.MiniLlm.LmCoefficient > 0
            ? new WindowSampler(context.Corpus, options.LmSequenceLength, options.LmBatchSize, options.Seed)
            : null;
        var versions = new TeacherVersionTracker(options.PinTeacherVersion, (before, after) =>
            reporter.Message($"teacher version changed mid-run: {before} → {after}"));

        int startStep = 0;
        var totals = new Totals();
        double secondsBefore = 0;
        StepTail? resumedTail = null;
        if (context.ResumeFrom is not null)
        {
            MiniLlmTrainingState state = Resume(context.ResumeFrom, model, optimizer);
            startStep = state.Step;
            resumedTail = state.Pending;
            versions.Restore(state.TeacherVersion, state.TeacherVersionChanges);
            totals = new Totals(state.ResponseTokens, state.LmTokens, state.TeacherRequests, state.TeacherWaitSeconds);
            secondsBefore = state.TrainSeconds;
            reporter.Message($"resumed at step {startStep} from {context.ResumeFrom}");
        }
        long sessionTokensBefore = totals.ResponseTokens;

        var losses = new List<(int, double)>();
        var evaluations = new List<(int, StudentEvaluation)>();
        StudentEvaluation? finalEvaluation = null;
        var clock = new Stopwatch();           // training only: evaluations and checkpoints are timed apart
        var asideClock = new Stopwatch();
        var progress = new StepProgress(startStep, () => optimizer.Updates, resumedTail);
        if (startStep == 0) Evaluate(0);
        clock.Start();
        string? checkpoint = null;
        bool interrupted = false;
        try
        {
            progress.FinishTail(WriteRecord, Report, at => Evaluate(at));
            for (int step = startStep; step < options.Steps; step++)
            {
                if (context.Stop.IsCancellationRequested) { interrupted = true; break; }
                progress.Starting();
                StepFigures figures = TrainStep(step);
                int done = step + 1;
                double seconds = clock.Elapsed.TotalSeconds;
                var report = new StepReport(done, options.Steps, figures.Loss, figures.LearningRate,
                    (totals.ResponseTokens - sessionTokensBefore) / Math.Max(seconds, 1e-9), WaitShare());
                progress.Trained(done, new StepTail(report, figures.ToMetrics(), done % options.EvalInterval == 0 && done < options.Steps));
                progress.FinishTail(WriteRecord, Report, at => Evaluate(at));
                if (done % options.CheckpointInterval == 0 || done == options.Steps) checkpoint = Save(done, null);
            }
        }
        catch (OperationCanceledException) when (context.Stop.IsCancellationRequested && !progress.FailedMidStep)
        {
            interrupted = true; // stopped while waiting for the teacher: the step in progress left no trace
        }
        catch (Exception failure) when (progress.Advanced)
        {
            // The teacher gone past patience, a pinned version changed, a full disk, …: keep the completed steps for resuming.
            reporter.Message(progress.AfterFailure(failure, Save));
            throw;
        }
        if (interrupted) checkpoint = Save(progress.Completed, progress.Tail);
        else finalEvaluation = Evaluate(options.Steps);

        clock.Stop();
        double sessionSeconds = clock.Elapsed.TotalSeconds;
        return new MiniLlmResult(progress.Completed, totals.ResponseTokens, totals.LmTokens, secondsBefore + sessionSeconds, asideClock.Elapsed.TotalSeconds,
            (totals.ResponseTokens - sessionTokensBefore) / Math.Max(sessionSeconds, 1e-9), WaitShare(), totals.TeacherRequests,
            versions.Changes, losses, evaluations, finalEvaluation, checkpoint, interrupted);

        void WriteRecord(int done, IReadOnlyDictionary<string, double> record) => context.Metrics?.Append(done, MetricsRecord.Train, record);

        void Report(StepReport report)
        {
            if (report.Loss is double loss) losses.Add((report.Step, loss));
            reporter.Step(report);
        }

        StepFigures TrainStep(int stepIndex)
        {
            using var scope = NewDisposeScope();
            TokenizedPair[] batch = [.. prompts.IndicesOf(stepIndex).Select(i => context.Pairs[i])];
            using var generator = new Generator(RolloutSeed(stepIndex), device);
            MiniLlmRollout rollout = MiniLlmRolloutSampler.Collect(model, context.Teacher, batch, options, generator,
                versions.Record, context.Stop);
            MiniLlmAdvantages advantages = MiniLlmLoss.Advantages(rollout, options.MiniLlm);

            Tensor sums = zeros(6, ScalarType.Float64, device);   // loss, policy gradient, regulariser, LM loss, ratio, clip fraction
            for (int epoch = 0; epoch < options.PpoEpochs; epoch++)
            {
                using var epochScope = NewDisposeScope();
                int update = stepIndex * options.PpoEpochs + epoch;
                optimizer.LearningRate = schedule.At(update);
                optimizer.zero_grad();
                MiniLlmLossParts parts = MiniLlmLoss.Compute(rollout.ResponseLogits(model), rollout, advantages, options.MiniLlm);
                Tensor lmLoss = windows is null ? zeros_like(parts.Loss) : LanguageModelLoss(windows.StartsOf(update));
                Tensor loss = windows is null ? parts.Loss : parts.Loss.add(lmLoss, Scalars.Of(options.MiniLlm.LmCoefficient));
                loss.backward();
                nn.utils.clip_grad_norm_(parameters, options.GradientClip);
                optimizer.step();
                Tensor figures = stack([loss, parts.PolicyGradient, parts.Regulariser, lmLoss, parts.RatioMean, parts.ClipFraction]);
                sums.add_(figures.detach().to_type(ScalarType.Float64), Scalars.One);
            }

            totals = totals.Add(rollout.TokenCount, windows is null ? 0 : (long)options.PpoEpochs * options.LmBatchSize * options.LmSequenceLength,
                rollout.TeacherRequests, rollout.TeacherWait.TotalSeconds);
            double[] means = sums.div(Scalars.Of((double)options.PpoEpochs)).cpu().data<double>().ToArray();
            double[] rollouts = stack([
                    MaskedMean.Of(advantages.Rewards, rollout.Mask), MaskedMean.Of(advantages.Returns, rollout.Mask),
                    MaskedMean.Of(rollout.ImportanceWeights, rollout.Mask),
                ]).to_type(ScalarType.Float64).cpu().data<double>().ToArray();
            return new StepFigures(means[0], means[1], means[2], windows is null ? null : means[3], means[4], means[5],
                rollouts[0], rollouts[1], rollouts[2], rollout.TokenCount / (double)batch.Length, rollout.TeacherWait.TotalSeconds,
                schedule.At(stepIndex * options.PpoEpochs));
        }

        Tensor LanguageModelLoss(int[] starts)
        {
            (Tensor inputs, Tensor targets) = context.Corpus.Slice(starts, options.LmSequenceLength);
            Tensor logits = model.Forward(inputs.to(device));                                                   // (B, T, V)
            return nn.functional.cross_entropy(logits.flatten(0, 1), targets.to(device).flatten());
        }

        double WaitShare()
        {
            double seconds = secondsBefore + clock.Elapsed.TotalSeconds;
            return seconds > 0 ? totals.TeacherWaitSeconds / seconds : 0;
        }

        StudentEvaluation? Evaluate(int at) => context.Evaluator is not { } evaluator ? null : Aside(() =>
        {
            StudentEvaluation evaluation = evaluator.Evaluate(model);
            model.train();
            evaluations.Add((at, evaluation));
            context.Metrics?.Append(at, MetricsRecord.Eval, evaluation.ToMetrics());
            reporter.Message(DistillationTrainer.Describe($"step {at}", evaluation));
            return evaluation;
        });

        string Save(int done, StepTail? tail) => Aside(() =>
        {
            var state = new MiniLlmTrainingState
            {
                Step = done,
                Options = options,
                TeacherVersion = versions.Current,
                TeacherVersionChanges = versions.Changes,
                RngState = TorchRandomState.Capture(),
                ResponseTokens = totals.ResponseTokens,
                LmTokens = totals.LmTokens,
                TeacherRequests = totals.TeacherRequests,
                TrainSeconds = secondsBefore + clock.Elapsed.TotalSeconds,
                TeacherWaitSeconds = totals.TeacherWaitSeconds,
                Pending = tail,
            };
            string saved = TrainingCheckpoint.Save(context.RunFolder, model, optimizer, state, done, files: context.CheckpointFiles);
            progress.Saved(done);
            return saved;
        });

        // Evaluations and checkpoints run on the aside clock, so the training clock times training alone.
        T Aside<T>(Func<T> work)
        {
            bool training = clock.IsRunning;
            clock.Stop();
            asideClock.Start();
            try
            {
                return work();
            }
            finally
            {
                asideClock.Stop();
                if (training) clock.Start();
            }
        }
    }

    /// <summary>The seed of step <paramref name="step"/>'s sampling generator: distinct per (seed, step), so no generator state is checkpointed.</summary>
    private ulong RolloutSeed(int step) => unchecked(((ulong)(uint)options.Seed << 32) | (uint)step);

    private MiniLlmTrainingState Resume(string checkpointFolder, CausalLm model, AdamWOptimizer optimizer)
    {
        MiniLlmTrainingState state = TrainingCheckpoint.ReadState<MiniLlmTrainingState>(checkpointFolder);
        if (state.Options with { Steps = options.Steps, EvalInterval = options.EvalInterval, CheckpointInterval = options.CheckpointInterval,
                                  PinTeacherVersion = options.PinTeacherVersion } != options)
            throw new ArgumentException($"the checkpoint in '{checkpointFolder}' was written with other training options; resume with the same options");
        if (state.Step > options.Steps)
            throw new ArgumentException($"the checkpoint is at step {state.Step}, past --steps {options.Steps}");
        TrainingCheckpoint.Restore(checkpointFolder, model, optimizer);
        TorchRandomState.Restore(state.RngState);
        return state;
    }

    /// <summary>Counts summed over the run's sessions.</summary>
    private readonly record struct Totals(long ResponseTokens, long LmTokens, long TeacherRequests, double TeacherWaitSeconds)
    {
        public Totals Add(long responseTokens, long lmTokens, long requests, double waitSeconds) =>
            new(ResponseTokens + responseTokens, LmTokens + lmTokens, TeacherRequests + requests, TeacherWaitSeconds + waitSeconds);
    }

    /// <summary>What one step logs: means over its PPO epochs, and figures of its rollout.</summary>
    private sealed record StepFigures(
        double Loss, double PolicyGradient, double Regulariser, double? LmLoss, double Ratio, double ClipFraction,
        double Reward, double Return, double ImportanceWeight, double ResponseLength, double TeacherWaitSeconds, double LearningRate)
    {
        public Dictionary<string, double> ToMetrics()
        {
            var values = new Dictionary<string, double>
            {
                [MiniLlmMetricNames.Loss] = Loss,
                [MiniLlmMetricNames.PolicyGradient] = PolicyGradient,
                [MiniLlmMetricNames.Regulariser] = Regulariser,
                [MiniLlmMetricNames.Ratio] = Ratio,
                [MiniLlmMetricNames.ClipFraction] = ClipFraction,
                [MiniLlmMetricNames.Reward] = Reward,
                [MiniLlmMetricNames.Return] = Return,
                [MiniLlmMetricNames.ImportanceWeight] = ImportanceWeight,
                [MiniLlmMetricNames.ResponseLength] = ResponseLength,
                [MiniLlmMetricNames.TeacherWait] = TeacherWaitSeconds,
                [MiniLlmMetricNames.LearningRate] = LearningRate,
            };
            if (LmLoss is double lm) values[MiniLlmMetricNames.LmLoss] = lm;
            return values;
        }
    }
}
