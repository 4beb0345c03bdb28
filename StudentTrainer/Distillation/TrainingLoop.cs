using System.Diagnostics;
using Distill.StudentTrainer.Evaluation;
using Distill.StudentTrainer.Model;
using Distill.StudentTrainer.Teacher;
using Distill.StudentTrainer.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Distillation;

/// <summary>Where a run writes and runs, and what evaluates it: what every trainer needs besides its data and teacher.</summary>
/// <param name="InitialWeights">A model folder (Hugging Face config.json + safetensors, or a checkpoint of this project) to start from instead of random weights.</param>
/// <param name="ResumeFrom">A checkpoint folder (see <see cref="TrainingCheckpoint"/>) to continue exactly.</param>
/// <param name="Metrics">Receives train and eval records; on resume, the caller truncates it to the checkpoint's step first.</param>
/// <param name="Stop">Fires on SIGINT: the run writes a checkpoint of its last completed step and returns.</param>
/// <param name="CheckpointFiles">How checkpoints reach the disk; null: <see cref="DurableCheckpointFiles"/>.</param>
public sealed record RunSetting(
    string RunFolder,
    Device Device,
    IStudentEvaluator? Evaluator = null,
    MetricsLog? Metrics = null,
    string? InitialWeights = null,
    string? ResumeFrom = null,
    CancellationToken Stop = default,
    ICheckpointFiles? CheckpointFiles = null);

/// <summary>What one optimiser step of a trainer did.</summary>
/// <param name="Logged">The step's losses on a logging step (<see cref="TrainingLoop.IsLogStep"/>), else null.</param>
/// <param name="Tokens">Positions that carried loss.</param>
/// <param name="Extra">More values for the train record of a logging step.</param>
public sealed record StepOutcome(StepLosses? Logged, long Tokens, IReadOnlyList<(string Name, double Value)>? Extra = null);

/// <summary>What a trainer adds to the shared loop; all optional.</summary>
/// <param name="AfterEvaluation">Runs after the evaluator at every evaluation step (0 = before training, Steps = after), off the training clock.</param>
/// <param name="SaveExtra">Writes the trainer's own state for a checkpoint at the given step into the given folder, before it is moved into place.</param>
/// <param name="TeacherWait">Time this session has waited for teacher answers; null when the run asks no teacher.</param>
public sealed record TrainingHooks(
    Action<int>? AfterEvaluation = null,
    Action<string, int>? SaveExtra = null,
    Func<TimeSpan>? TeacherWait = null);

/// <summary>
/// The loop the trainers share, flat as in nanoGPT: per step, the learning rate of warmup + cosine → the trainer's step
/// (micro-batches, backward, clip, AdamW) → train record and progress → an evaluation every EvalInterval steps → a
/// checkpoint every CheckpointInterval steps and at the end. It owns the student (random, initial weights, or a
/// checkpoint's), the optimiser, the teacher version tracker and the clocks (training time apart from evaluations and
/// checkpoints). A stop (SIGINT) or a failure writes a checkpoint of the steps whose update completed, with what of the
/// last one's bookkeeping remains (<see cref="StepTail"/>); none when a step fails after its update began.
/// </summary>
public sealed class TrainingLoop : IDisposable
{
    private readonly DistillOptions _options;
    private readonly ITrainingReporter _reporter;
    private readonly RunSetting _setting;
    private readonly LearningRateSchedule _schedule;
    private readonly Stopwatch _clock = new();           // training only: evaluations and checkpoints are timed apart
    private readonly Stopwatch _asideClock = new();
    private readonly long _tokensBefore;
    private readonly double _secondsBefore, _waitBefore;
    private readonly StepTail? _resumedTail;
    private long _sessionTokens;

    /// <summary>Seeds torch, builds the student and the optimiser, and restores a checkpoint when resuming.</summary>
    public TrainingLoop(DistillOptions options, ITrainingReporter reporter, RunSetting setting)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(reporter);
        ArgumentNullException.ThrowIfNull(setting);
        options.Validate();
        (_options, _reporter, _setting) = (options, reporter, setting);
        torch.manual_seed(options.Seed);
        Model = setting.InitialWeights is null ? options.Student.CreateModel() : LoadInitialWeights(setting.InitialWeights);
        Model.to(setting.Device);
        Model.train();
        Optimizer = AdamWFactory.Create(Model, options.PeakLearningRate, options.WeightDecay);
        _schedule = new LearningRateSchedule(options.PeakLearningRate, options.FinalLearningRate, options.WarmupSteps, options.Steps);
        Parameters = Model.parameters().ToArray();
        Versions = new TeacherVersionTracker(options.PinTeacherVersion, (before, after) =>
            reporter.Message($"teacher version changed mid-run: {before} → {after}"));
        if (setting.ResumeFrom is null) return;
        try
        {
            TrainingState state = Resume(setting.ResumeFrom);
            StartStep = state.Step;
            _resumedTail = state.Pending;
            Versions.Restore(state.TeacherVersion, state.TeacherVersionChanges);
            (_tokensBefore, _secondsBefore, _waitBefore) = (state.TokensSeen, state.TrainSeconds, state.TeacherWaitSeconds);
        }
        catch
        {
            Dispose();
            throw;
        }
        reporter.Message($"resumed at step {StartStep} from {setting.ResumeFrom}");
    }

    public CausalLm Model { get; }

    public AdamWOptimizer Optimizer { get; }

    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>Records the teacher version of every answer.</summary>
    public TeacherVersionTracker Versions { get; }

    /// <summary>The first step this session trains: 0, or the resumed checkpoint's step.</summary>
    public int StartStep { get; }

    /// <summary>Read the loss back every this many steps (and at the last).</summary>
    public int LogInterval { get; init; } = 10;

    /// <summary>Whether step <paramref name="step"/> (0-based) reads its loss back.</summary>
    public bool IsLogStep(int step) => (step + 1) % LogInterval == 0 || step + 1 == _options.Steps;

    /// <summary>Clips the gradients and takes one AdamW step.</summary>
    public void ClipAndStep()
    {
        nn.utils.clip_grad_norm_(Parameters, _options.GradientClip);
        Optimizer.step();
    }

    /// <summary>
    /// Evaluates at step 0 (unless resuming), finishes the bookkeeping a resumed checkpoint left to do, trains the
    /// remaining steps with <paramref name="trainStep"/>, evaluates at the end.
    /// </summary>
    /// <param name="trainStep">Trains step n (0-based) on the loop's model and optimiser; gets its learning rate already set.</param>
    public DistillResult Run(Func<int, StepOutcome> trainStep, TrainingHooks? hooks = null)
    {
        ArgumentNullException.ThrowIfNull(trainStep);
        hooks ??= new TrainingHooks();
        var losses = new List<(int, double)>();
        var evaluations = new List<(int, StudentEvaluation)>();
        var progress = new StepProgress(StartStep, () => Optimizer.Updates, _resumedTail);
        if (StartStep == 0) Evaluate(0);
        _clock.Start();
        string? checkpoint = null;
        bool interrupted = false;
        try
        {
            progress.FinishTail(WriteRecord, Report, at => Evaluate(at));
            for (int step = StartStep; step < _options.Steps; step++)
            {
                if (_setting.Stop.IsCancellationRequested) { interrupted = true; break; }
                double learningRate = _schedule.At(step);
                Optimizer.LearningRate = learningRate;
                progress.Starting();
                StepOutcome outcome = trainStep(step);
                _sessionTokens += outcome.Tokens;
                int done = step + 1;
                double seconds = _clock.Elapsed.TotalSeconds;
                double? waitShare = hooks.TeacherWait is { } wait ? wait().TotalSeconds / Math.Max(seconds, 1e-9) : null;
                Dictionary<string, double>? record = outcome.Logged is { } logged
                    ? new()
                    {
                        [MetricNames.Loss] = logged.Loss, [MetricNames.CrossEntropy] = logged.CrossEntropy,
                        [MetricNames.Divergence] = logged.Divergence, ["lr"] = learningRate,
                    }
                    : null;
                foreach ((string name, double value) in outcome.Extra ?? []) record?.Add(name, value);
                progress.Trained(done, new StepTail(new StepReport(done, _options.Steps, outcome.Logged?.Loss, learningRate, _sessionTokens / seconds, waitShare),
                    record, done % _options.EvalInterval == 0 && done < _options.Steps));
                progress.FinishTail(WriteRecord, Report, at => Evaluate(at));
                if (done % _options.CheckpointInterval == 0 || done == _options.Steps) checkpoint = Save(done, null);
            }
        }
        catch (OperationCanceledException) when (_setting.Stop.IsCancellationRequested && !progress.FailedMidStep)
        {
            interrupted = true; // stopped while waiting for the teacher: the step in progress left no trace
        }
        catch (Exception failure) when (progress.Advanced)
        {
            // The teacher gone past patience, a pinned version changed, a full disk, …: keep the completed steps for --resume.
            _reporter.Message(progress.AfterFailure(failure, Save));
            throw;
        }
        if (interrupted) checkpoint = Save(progress.Completed, progress.Tail);
        else Evaluate(_options.Steps);

        _clock.Stop();
        double sessionSeconds = _clock.Elapsed.TotalSeconds;
        double totalSeconds = _secondsBefore + sessionSeconds;
        double totalWait = _waitBefore + (hooks.TeacherWait?.Invoke().TotalSeconds ?? 0);
        return new DistillResult(progress.Completed, _tokensBefore + _sessionTokens, totalSeconds, _asideClock.Elapsed.TotalSeconds,
            _sessionTokens / Math.Max(sessionSeconds, 1e-9), totalSeconds > 0 ? totalWait / totalSeconds : 0, Versions.Changes,
            losses, evaluations, checkpoint, interrupted);

        void WriteRecord(int done, IReadOnlyDictionary<string, double> record) => _setting.Metrics?.Append(done, MetricsRecord.Train, record);

        void Report(StepReport report)
        {
            if (report.Loss is double loss) losses.Add((report.Step, loss));
            _reporter.Step(report);
        }

        void Evaluate(int at)
        {
            using var aside = Aside();
            if (_setting.Evaluator is { } evaluator)
            {
                StudentEvaluation evaluation = evaluator.Evaluate(Model);
                Model.train();
                evaluations.Add((at, evaluation));
                _setting.Metrics?.Append(at, MetricsRecord.Eval, evaluation.ToMetrics());
                _reporter.Message(DistillationTrainer.Describe($"step {at}", evaluation));
            }
            hooks.AfterEvaluation?.Invoke(at);
        }

        string Save(int done, StepTail? tail)
        {
            using var aside = Aside();
            var state = new TrainingState
            {
                Step = done,
                DataCursor = (long)done * _options.GradientAccumulation,
                Options = _options,
                TeacherVersion = Versions.Current,
                TeacherVersionChanges = Versions.Changes,
                RngState = TorchRandomState.Capture(),
                TokensSeen = _tokensBefore + _sessionTokens,
                TrainSeconds = _secondsBefore + _clock.Elapsed.TotalSeconds,
                TeacherWaitSeconds = _waitBefore + (hooks.TeacherWait?.Invoke().TotalSeconds ?? 0),
                Pending = tail,
            };
            Action<string>? extra = hooks.SaveExtra is { } save ? folder => save(folder, done) : null;
            string saved = TrainingCheckpoint.Save(_setting.RunFolder, Model, Optimizer, state, extra, _setting.CheckpointFiles);
            progress.Saved(done);
            return saved;
        }
    }

    /// <summary>Moves time from the training clock to the aside clock while the returned value lives.</summary>
    public IDisposable Aside() => new TimedAside(_clock, _asideClock);

    private sealed class TimedAside : IDisposable
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

    private CausalLm LoadInitialWeights(string folder) => ModelFolder.LoadOfShape(folder, _options.Student);

    private TrainingState Resume(string checkpointFolder)
    {
        TrainingState state = TrainingCheckpoint.ReadState(checkpointFolder);
        if (state.Options with { Steps = _options.Steps, EvalInterval = _options.EvalInterval, CheckpointInterval = _options.CheckpointInterval,
                                  PrefetchDepth = _options.PrefetchDepth, PinTeacherVersion = _options.PinTeacherVersion } != _options)
            throw new ArgumentException($"the checkpoint in '{checkpointFolder}' was written with other training options; resume with the same options");
        if (state.Step > _options.Steps)
            throw new ArgumentException($"the checkpoint is at step {state.Step}, past --steps {_options.Steps}");
        if (state.DataCursor != (long)state.Step * _options.GradientAccumulation)
            throw new InvalidDataException($"the checkpoint's data cursor {state.DataCursor} does not match its step {state.Step}");
        TrainingCheckpoint.Restore(checkpointFolder, Model, Optimizer);
        TorchRandomState.Restore(state.RngState);
        return state;
    }

    public void Dispose()
    {
        Optimizer?.Dispose();
        Model.Dispose();
    }
}
