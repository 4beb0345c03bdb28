using System.Diagnostics;
using Distill.Shared.Wire;
using Distill.StudentTrainer.Data;
using Distill.StudentTrainer.Evaluation;
using Distill.StudentTrainer.Model;
using Distill.StudentTrainer.Teacher;
using Distill.StudentTrainer.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Distillation;

/// <summary>Where a run's pieces come from and go to; everything optional is null when unused.</summary>
/// <param name="Teacher">Answers top-k requests; required when λ &gt; 0.</param>
/// <param name="InitialWeights">A checkpoint folder (model.json + model.weights) to start from instead of random weights.</param>
/// <param name="ResumeFrom">A checkpoint folder (see <see cref="TrainingCheckpoint"/>) to continue exactly.</param>
/// <param name="Metrics">Receives train and eval records; on resume, the caller truncates it to the checkpoint's step first.</param>
/// <param name="Stop">Fires on SIGINT: the run writes a checkpoint of its last completed step and returns.</param>
public sealed record DistillRunContext(
    TokenStream Train,
    string RunFolder,
    Device Device,
    ITeacher? Teacher = null,
    IStudentEvaluator? Evaluator = null,
    MetricsLog? Metrics = null,
    string? InitialWeights = null,
    string? ResumeFrom = null,
    CancellationToken Stop = default);

/// <summary>
/// The distillation loop, flat as in nanoGPT: data → teacher (prefetched) → student forward → (1 − λ)·CE + λ·D →
/// backward (accumulated over micro-batches) → clip → AdamW → warmup + cosine. The data order is a pure function of
/// the seed, so a resumed run continues exactly where the checkpoint stopped.
/// </summary>
public sealed class DistillationTrainer(DistillOptions options, ITrainingReporter reporter)
{
    /// <summary>Read the loss back every this many steps (and at the last).</summary>
    public int LogInterval { get; init; } = 10;

    public DistillResult Run(DistillRunContext context)
    {
        options.Validate();
        if (options.UsesTeacher && context.Teacher is null)
            throw new ArgumentException("λ > 0 needs a teacher");
        Device device = context.Device;
        torch.manual_seed(options.Seed);
        using var model = context.InitialWeights is null ? new Gpt(options.Student) : LoadInitialWeights(context.InitialWeights);
        model.to(device);
        model.train();
        using AdamWOptimizer optimizer = AdamWFactory.Create(model, options.PeakLearningRate, options.WeightDecay);
        var schedule = new LearningRateSchedule(options.PeakLearningRate, options.FinalLearningRate, options.WarmupSteps, options.Steps);
        Parameter[] parameters = model.parameters().ToArray();
        var sampler = new WindowSampler(context.Train, options.SequenceLength, options.BatchSize, options.Seed);
        long totalBatches = (long)options.Steps * options.GradientAccumulation;

        int startStep = 0;
        var versions = new TeacherVersionTracker(options.PinTeacherVersion, (before, after) =>
            reporter.Message($"teacher version changed mid-run: {before} → {after}"));
        long tokensBefore = 0;
        double secondsBefore = 0, waitBefore = 0;
        if (context.ResumeFrom is not null)
        {
            TrainingState state = Resume(context.ResumeFrom, model, optimizer);
            startStep = state.Step;
            versions.Restore(state.TeacherVersion, state.TeacherVersionChanges);
            (tokensBefore, secondsBefore, waitBefore) = (state.TokensSeen, state.TrainSeconds, state.TeacherWaitSeconds);
            reporter.Message($"resumed at step {startStep} from {context.ResumeFrom}");
        }

        var losses = new List<(int, double)>();
        var evaluations = new List<(int, StudentEvaluation)>();
        using var prefetcher = options.UsesTeacher
            ? new TeacherPrefetcher(context.Teacher!, sampler.InputsOf, options.TopK, (float)options.Temperature, options.PrefetchDepth, totalBatches)
            : null;
        int tokensPerStep = options.BatchSize * options.GradientAccumulation * options.SequenceLength;
        var clock = new Stopwatch();           // training only: evaluations and checkpoints are timed apart
        var asideClock = new Stopwatch();
        prefetcher?.Request((long)startStep * options.GradientAccumulation); // the teacher works while step 0 is evaluated
        if (startStep == 0) Evaluate(0);
        clock.Start();
        int step = startStep;
        string? checkpoint = null;
        bool interrupted = false;
        try
        {
            for (; step < options.Steps; step++)
            {
                if (context.Stop.IsCancellationRequested) { interrupted = true; break; }
                double learningRate = schedule.At(step);
                optimizer.LearningRate = learningRate;
                (double Loss, double CrossEntropy, double Divergence)? logged = TrainStep(step);
                int done = step + 1;
                double seconds = clock.Elapsed.TotalSeconds;
                double? loss = logged?.Loss;
                if (logged is var (l, ce, divergence))
                {
                    losses.Add((done, l));
                    context.Metrics?.Append(done, MetricsRecord.Train, (MetricNames.Loss, l), (MetricNames.CrossEntropy, ce),
                        (MetricNames.Divergence, divergence), ("lr", learningRate));
                }
                double? waitShare = prefetcher is null ? null : prefetcher.Waited.TotalSeconds / Math.Max(seconds, 1e-9);
                reporter.Step(new StepReport(done, options.Steps, loss, learningRate, (done - startStep) * (double)tokensPerStep / seconds, waitShare));

                if (done % options.EvalInterval == 0 && done < options.Steps) Evaluate(done);
                if (done % options.CheckpointInterval == 0 || done == options.Steps) checkpoint = Save(done);
            }
        }
        catch (OperationCanceledException) when (context.Stop.IsCancellationRequested)
        {
            interrupted = true; // stopped while waiting for the teacher: the step in progress left no trace
        }
        catch (Exception failure) when (step > startStep)
        {
            // The teacher gone past patience, a pinned version changed, …: keep the completed steps for --resume.
            string saved = Save(step);
            reporter.Message($"stopped at step {step} ({failure.Message}); checkpoint {saved}");
            throw;
        }
        if (interrupted) checkpoint = Save(step);
        else Evaluate(options.Steps);

        clock.Stop();
        double sessionSeconds = clock.Elapsed.TotalSeconds;
        long sessionTokens = (long)(step - startStep) * tokensPerStep;
        double totalSeconds = secondsBefore + sessionSeconds;
        double totalWait = waitBefore + (prefetcher?.Waited.TotalSeconds ?? 0);
        return new DistillResult(step, tokensBefore + sessionTokens, totalSeconds, asideClock.Elapsed.TotalSeconds,
            sessionTokens / Math.Max(sessionSeconds, 1e-9), totalSeconds > 0 ? totalWait / totalSeconds : 0, versions.Changes,
            losses, evaluations, checkpoint, interrupted);

        (double, double, double)? TrainStep(int stepIndex)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            Tensor sums = zeros(3, ScalarType.Float64, device); // loss, cross-entropy, divergence summed over micro-batches
            for (int micro = 0; micro < options.GradientAccumulation; micro++)
            {
                long batchIndex = (long)stepIndex * options.GradientAccumulation + micro;
                (Tensor inputs, Tensor targets) = context.Train.Slice(sampler.StartsOf(batchIndex), options.SequenceLength);
                using TeacherTargets? teacher = prefetcher is null ? null : Answer(prefetcher.Take(batchIndex, context.Stop));
                Tensor mask = ones(inputs.shape, ScalarType.Bool, device);
                (Tensor loss, Tensor crossEntropy, Tensor divergence) = DistillationStep.Loss(model, inputs.to(device), targets.to(device), mask,
                    teacher?.To(device), options);
                loss.div(Scalars.Of(options.GradientAccumulation)).backward();
                sums.add_(stack([loss.detach(), crossEntropy.detach(), divergence.detach()]).to_type(ScalarType.Float64), Scalars.One);
            }
            nn.utils.clip_grad_norm_(parameters, options.GradientClip);
            optimizer.step();
            bool log = (stepIndex + 1) % LogInterval == 0 || stepIndex + 1 == options.Steps;
            if (!log) return null;
            double[] mean = sums.div(Scalars.Of(options.GradientAccumulation)).cpu().data<double>().ToArray();
            return (mean[0], mean[1], mean[2]);
        }

        TeacherTargets Answer(TopKResult answer)
        {
            versions.Record(answer.Version);
            return TeacherTargets.From(answer, options.SequenceLength);
        }

        void Evaluate(int at)
        {
            if (context.Evaluator is null) return;
            using var aside = Aside();
            StudentEvaluation evaluation = context.Evaluator.Evaluate(model);
            model.train();
            evaluations.Add((at, evaluation));
            context.Metrics?.Append(at, MetricsRecord.Eval, evaluation.ToMetrics());
            reporter.Message(Describe($"step {at}", evaluation));
        }

        string Save(int done)
        {
            using var aside = Aside();
            var state = new TrainingState
            {
                Step = done,
                DataCursor = (long)done * options.GradientAccumulation,
                Options = options,
                TeacherVersion = versions.Current,
                TeacherVersionChanges = versions.Changes,
                RngState = TorchRandomState.Capture(),
                TokensSeen = tokensBefore + (long)(done - startStep) * tokensPerStep,
                TrainSeconds = secondsBefore + clock.Elapsed.TotalSeconds,
                TeacherWaitSeconds = waitBefore + (prefetcher?.Waited.TotalSeconds ?? 0),
            };
            return TrainingCheckpoint.Save(context.RunFolder, model, optimizer, state);
        }

        TimedAside Aside() => new(clock, asideClock);
    }

    /// <summary>Moves time from the training clock to the aside clock while it lives.</summary>
    private readonly struct TimedAside : IDisposable
    {
        private readonly Stopwatch _training, _aside;
        private readonly bool _wasRunning;

        public TimedAside(Stopwatch training, Stopwatch aside)
        {
            (_training, _aside, _wasRunning) = (training, aside, training.IsRunning);
            _training.Stop();
            _aside.Start();
        }

        public void Dispose()
        {
            _aside.Stop();
            if (_wasRunning) _training.Start();
        }
    }

    private Gpt LoadInitialWeights(string folder)
    {
        GptConfig config = GptCheckpoint.LoadConfig(folder);
        if (config != options.Student)
            throw new ArgumentException($"the initial weights in '{folder}' are of another model shape than the student's options");
        Gpt model = GptCheckpoint.Load(folder);
        return model;
    }

    private TrainingState Resume(string checkpointFolder, Gpt model, AdamWOptimizer optimizer)
    {
        TrainingState state = TrainingCheckpoint.ReadState(checkpointFolder);
        if (state.Options with { Steps = options.Steps, EvalInterval = options.EvalInterval, CheckpointInterval = options.CheckpointInterval,
                                  PrefetchDepth = options.PrefetchDepth, PinTeacherVersion = options.PinTeacherVersion } != options)
            throw new ArgumentException($"the checkpoint in '{checkpointFolder}' was written with other training options; resume with the same options");
        if (state.Step > options.Steps)
            throw new ArgumentException($"the checkpoint is at step {state.Step}, past --steps {options.Steps}");
        if (state.DataCursor != (long)state.Step * options.GradientAccumulation)
            throw new InvalidDataException($"the checkpoint's data cursor {state.DataCursor} does not match its step {state.Step}");
        TrainingCheckpoint.Restore(checkpointFolder, model, optimizer);
        TorchRandomState.Restore(state.RngState);
        return state;
    }

    /// <summary>One line of figures, after <paramref name="label"/> (e.g. "step 100").</summary>
    public static string Describe(string label, StudentEvaluation e)
    {
        string text = $"{label}: validation perplexity {e.ValidationPerplexity:F2}";
        if (e.KlToTeacher is double kl) text += $", KL to teacher {kl:F4}";
        if (e.TeacherTop1Agreement is double top1) text += $", top-1 agreement {top1:P1}";
        text += $", ECE {e.ExpectedCalibrationError:F4}";
        if (e.RougeLReference is double rr) text += $", ROUGE-L vs reference {rr:F4}";
        if (e.RougeLTeacher is double rt) text += $", vs teacher {rt:F4}";
        return text;
    }
}
