using System.Runtime.InteropServices;
using System.Text.Json;
using Distill.Shared.Tokenization;
using Distill.StudentTrainer.Data;
using Distill.StudentTrainer.Distillation;
using Distill.StudentTrainer.Evaluation;
using Distill.StudentTrainer.Export;
using Distill.StudentTrainer.Model;
using Distill.StudentTrainer.Schemes;
using Distill.StudentTrainer.Teacher;
using Distill.StudentTrainer.TeacherCache;
using Distill.StudentTrainer.Training;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Cli;

/// <summary>
/// The <c>train</c> job: connect to (or start) the teacher, distil, train the cross-entropy baseline on the same
/// steps and data, evaluate both, export the distilled student as a servable model folder, and print a summary.
/// It trains on corpus windows, or, with a task folder, on prompt → response pairs in one of the modes of
/// <see cref="TrainMode"/> (minillm by <see cref="MiniLlmTrainer"/>, the others by <see cref="PairDistillationTrainer"/>);
/// the baseline of a pair run is supervised fine-tuning on the gold responses, and both runs of a pair job are evaluated
/// on the task folder's held-out pairs (test.jsonl) by one <see cref="PairEvaluator"/>.
/// </summary>
public static class TrainJob
{
    public const string SettingsFile = "job.json";
    public const string BaselineFolder = "baseline";
    public const string ExportFolder = "export";
    public const string ExportedModelName = "distilled-student";
    /// <summary>Exit code of a run stopped by SIGINT/SIGTERM after writing its checkpoint (128 + SIGINT).</summary>
    public const int InterruptedExitCode = 130;

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    public static async Task<int> RunAsync(TrainJobSettings requested, CancellationToken cancellation)
    {
        TrainJobSettings settings = requested.Resume is null ? requested : ResumedSettings(requested);
        bool miniLlm = settings.Mode == TrainMode.MiniLlm;
        if (settings.Mode != TrainMode.OffPolicy && !settings.OnPairs)
            throw new ArgumentException($"--mode {TrainModeNames.ToName(settings.Mode)} trains on prompt → response pairs: give --tasks");
        if (settings.OnPairs && settings.Options.EpochSteps is not null)
            throw new ArgumentException("--epochs repeats the windows of a corpus run; a run on prompt → response pairs draws its own (give --steps)");
        if (miniLlm && settings.Options.GradientAccumulation != 1)
            throw new ArgumentException("--grad-accum is not used by --mode minillm: a step is one rollout of --batch-size prompts");
        Device device = CliOptions.ApplyRuntime(settings.Device, settings.Threads);
        LoadedTokenizer tokenizer = TokenizerLoader.Load(CliOptions.RequireFolder(settings.TokenizerFolder, "tokenizer"));
        StudentChoice student = StudentChoice.Resolve(settings.Student, settings.InitialWeights, tokenizer);
        ModelConfig studentConfig = student.Config;
        settings = settings with { InitialWeights = student.InitialWeights };
        DistillOptions options = settings.Options with { Student = studentConfig };
        options.Validate();
        PairDistillOptions? pairOptions = settings.OnPairs && !miniLlm ? settings.PairOptions(options) : null;
        pairOptions?.Validate();
        PairDistillOptions? sftOptions = settings.OnPairs
            ? settings.PairOptions(options) with { Mode = TrainMode.OffPolicy, Distill = options with { Lambda = 0 } }
            : null;
        sftOptions?.Validate();
        MiniLlmTrainerOptions? miniLlmOptions = miniLlm ? settings.ResolvedMiniLlm(studentConfig, tokenizer.EosId) : null;
        miniLlmOptions?.Validate();
        settings.HeldOutEvaluation().Validate();
        var (train, validation, _) = CorpusTokens.Load(settings.DataFolder, tokenizer, settings.Corpus);
        TaskPairs? tasks = settings.OnPairs
            ? TaskPairs.Load(settings.Tasks!, tokenizer, options.SequenceLength, validationNeeded: settings.Mode == TrainMode.Distillm)
            : null;
        string? heldOutFile = tasks is null ? null : TaskSetFiles.Require(tasks.Folder, TaskSetFiles.Test);
        TokenizedPair[]? heldOut = heldOutFile is null ? null
            : PairEvaluator.ReadPairs(heldOutFile, tokenizer, studentConfig.ContextLength, settings.EvalPairs);

        string runFolder = settings.RunFolder ?? NewRunFolder();
        if (settings.Resume is null && Directory.Exists(Path.Combine(runFolder, TrainingCheckpoint.Folder)))
            throw new ArgumentException($"'{runFolder}' already holds a run: continue it with --resume {runFolder}, or choose another --out");
        Directory.CreateDirectory(runFolder);
        byte[] settingsJson = JsonSerializer.SerializeToUtf8Bytes(
            settings with { RunFolder = runFolder, Resume = null, Options = options, MiniLlm = miniLlmOptions }, JsonOptions);
        AtomicFile.Write(Path.Combine(runFolder, SettingsFile), stream => stream.Write(settingsJson));

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Interrupt);
        using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Interrupt);
        void Interrupt(PosixSignalContext signal)
        {
            if (stop.IsCancellationRequested) return; // a second signal ends the process as usual
            signal.Cancel = true;
            Console.Error.WriteLine($"{signal.Signal}: finishing the current step and writing a checkpoint (again to stop at once)");
            stop.Cancel();
        }

        int contextNeeded = tasks is null ? options.SequenceLength : Math.Max(tasks.LongestSequence, PairEvaluator.TeacherContextNeeded(heldOut!));
        var vocabulary = new StudentVocabulary(tokenizer.Fingerprint, studentConfig.VocabSize);
        await using TeacherSession session = settings.TeacherCache is { } cacheFolder
            ? TeacherSession.FromCache(cacheFolder, vocabulary, contextNeeded, settings.OnPairs)
            : await TeacherSession.OpenAsync(settings.TeacherUrls, settings.TeacherModel, settings.ModelsFolder, settings.TeacherThreads, runFolder,
                vocabulary, contextNeeded, settings.Client, stop.Token);
        ITeacher teacher = session.Teacher;

        // One evaluator for the distilled run and the baseline: the teacher's answers are fetched once.
        EvaluationSet? corpusEvaluation = heldOut is null ? CorpusEvaluationSet(settings, validation, options, teacher.Model) : null;
        (IStudentEvaluator evaluator, string evaluatedOn) = corpusEvaluation is not null
            ? CorpusEvaluator(settings, corpusEvaluation, tokenizer, device, teacher)
            : HeldOutEvaluator(settings, heldOut!, heldOutFile!, tokenizer, device, teacher);
        if (teacher is CachedTeacher cached) cached.Check(new TeacherCacheRun(train, options, corpusEvaluation, options.BatchSize,
            StudentEvaluator.WindowTopK(StudentEvaluator.DefaultTeacherTopK, teacher.Model.VocabSize)));
        using var ownedEvaluator = (IDisposable)evaluator;

        var job = new JobParts(settings, device, evaluator, stop.Token);
        string baselineFolder = Path.Combine(runFolder, BaselineFolder);
        PairDistillResult? pairRun = null;
        MiniLlmRun? miniLlmRun = null;
        DistillResult distilled;
        DistillResult? baseline = null;
        if (tasks is null)
        {
            distilled = TrainCorpus("distil", options, runFolder, job, train, teacher);
            if (distilled.Interrupted) return Interrupted(runFolder, distilled);
            if (settings.Baseline) baseline = TrainCorpus("cross-entropy baseline", options with { Lambda = 0 }, baselineFolder, job, train, null);
        }
        else
        {
            try
            {
                if (miniLlmOptions is not null)
                {
                    miniLlmRun = TrainMiniLlm("distil", miniLlmOptions, runFolder, job, tasks, train, teacher);
                    distilled = miniLlmRun.Result.AsDistillResult();
                }
                else
                {
                    pairRun = TrainPairs("distil", pairOptions!, runFolder, job, tasks, teacher, tokenizer.EosId);
                    distilled = pairRun.Run;
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                Console.Error.WriteLine("interrupted before the first step; nothing to resume");
                return InterruptedExitCode;
            }
            if (distilled.Interrupted) return Interrupted(runFolder, distilled);
            if (settings.Baseline)
                baseline = TrainPairs("cross-entropy baseline (SFT on the gold responses)", sftOptions!, baselineFolder, job, tasks, null, null).Run;
        }
        if (baseline is { Interrupted: true }) return Interrupted(runFolder, baseline);

        string exported = Path.Combine(runFolder, ExportFolder, ExportedModelName);
        using (CausalLm model = ModelFolder.Load(distilled.CheckpointFolder!))
            OnnxExporter.Export(model, settings.TokenizerFolder, exported, new OnnxExportOptions { WeightsDtype = studentConfig.TorchDtype });
        TrainingPlots.WriteAll(runFolder);
        if (baseline is not null) TrainingPlots.WriteAll(baselineFolder);

        StudentEvaluation? before = distilled.Evaluations.FirstOrDefault(e => e.Step == 0).Evaluation
            ?? MetricsLog.ReadAll(runFolder).Where(r => r.Kind == MetricsRecord.Eval && r.Step == 0).Select(StudentEvaluation.FromMetrics).FirstOrDefault();
        var summary = new TrainSummary(teacher.Model.Name, teacher.Model.Version, options, before, distilled, baseline, exported, evaluatedOn,
            pairRun, miniLlmRun);
        File.WriteAllText(Path.Combine(runFolder, "summary.json"), JsonSerializer.Serialize(summary.ToJson(), JsonOptions));
        summary.Print(runFolder);
        return 0;
    }

    /// <summary>What every training of a job shares.</summary>
    private sealed record JobParts(TrainJobSettings Settings, Device Device, IStudentEvaluator Evaluator, CancellationToken Stop);

    /// <summary>The evaluation set of a corpus run: windows of the sequence length and prompts of the validation split.</summary>
    public static EvaluationSet CorpusEvaluationSet(TrainJobSettings settings, TokenStream validation, DistillOptions options, Shared.Wire.ModelInfo teacher) =>
        settings.EvaluationSet(validation, options.SequenceLength, Math.Min(options.Student.ContextLength, teacher.ContextLength));

    /// <summary>The evaluator of a corpus run, and what it measures on.</summary>
    private static (IStudentEvaluator, string) CorpusEvaluator(TrainJobSettings settings, EvaluationSet set, LoadedTokenizer tokenizer, Device device,
        ITeacher teacher)
    {
        return (new StudentEvaluator(set, tokenizer, device, teacher, settings.Options.BatchSize),
            $"the validation split of {settings.DataFolder}: perplexity on all of it; KL, agreement and ECE on {set.WindowStarts.Length} "
            + $"windows of {set.WindowLength} tokens; ROUGE-L on {set.Prompts.Length} prompts");
    }

    /// <summary>The evaluator of a pair run: the held-out pairs of the task folder's test.jsonl, and what it measures on.</summary>
    private static (IStudentEvaluator, string) HeldOutEvaluator(TrainJobSettings settings, TokenizedPair[] pairs, string file,
        LoadedTokenizer tokenizer, Device device, ITeacher teacher)
    {
        PairEvaluationOptions evaluation = settings.HeldOutEvaluation();
        var evaluator = new PairEvaluator(pairs, tokenizer, device, teacher, evaluation);
        return (evaluator, $"{evaluator.Pairs.Count} held-out pairs of {file}, every figure over the response tokens; "
                           + $"ROUGE-L on the first {Math.Min(evaluation.RougePairs, evaluator.Pairs.Count)}");
    }

    private static DistillResult TrainCorpus(string title, DistillOptions options, string folder, JobParts job, TokenStream train, ITeacher? teacher) =>
        TrainIn(title, folder, job, $"{options.Steps} steps of {options.BatchSize * options.GradientAccumulation} × {options.SequenceLength} tokens"
                                    + Objective(options),
            (reporter, run) => new DistillationTrainer(options, reporter).Run(new DistillRunContext(train, run.RunFolder, run.Device, teacher,
                run.Evaluator, run.Metrics, run.InitialWeights, run.ResumeFrom, run.Stop)));

    private static PairDistillResult TrainPairs(string title, PairDistillOptions options, string folder, JobParts job, TaskPairs tasks,
        ITeacher? teacher, int? eosId)
    {
        DistillOptions distill = options.Distill;
        string scheme = options.Mode switch
        {
            TrainMode.SeqKd => ", on the teacher's responses",
            TrainMode.OnPolicy => $", student samples in a share λ = {options.StudentFraction} of the batches",
            TrainMode.Distillm => $", adaptive student samples, replay buffer of {options.ReplayCapacity}, replay ratio {options.Distillm.ReplayRatio.ToString().ToLowerInvariant()}",
            _ => "",
        };
        return TrainIn(title, folder, job,
            $"{TrainModeNames.ToName(options.Mode)} on {tasks.Train.Count} pairs of {tasks.Folder}: {distill.Steps} steps of "
            + $"{distill.BatchSize * distill.GradientAccumulation} pairs{scheme}" + Objective(distill),
            (reporter, run) => new PairDistillationTrainer(options, reporter).Run(new PairRunContext(
                tasks.Train, run, teacher, tasks.Validation, eosId)));
    }

    /// <summary>MiniLLM on the training pairs' prompts, with its language-modelling loss on <paramref name="corpus"/>.</summary>
    private static MiniLlmRun TrainMiniLlm(string title, MiniLlmTrainerOptions options, string folder, JobParts job, TaskPairs tasks,
        TokenStream corpus, ITeacher teacher)
    {
        MiniLlmResult result = TrainIn(title, folder, job,
            $"minillm on {tasks.Train.Count} pairs of {tasks.Folder}: {MiniLlmRun.Describe(options)}",
            (reporter, run) => new MiniLlmTrainer(options, reporter).Run(new MiniLlmRunContext(tasks.Train, corpus, teacher,
                run.RunFolder, run.Device, run.Evaluator, run.Metrics, run.InitialWeights, run.ResumeFrom, run.Stop)));
        return new MiniLlmRun(options, result);
    }

    private static string Objective(DistillOptions options) => options.UsesTeacher
        ? $", {DivergenceKindNames.ToName(options.Divergence)} at k = {options.TopK}, τ = {options.Temperature}, λ = {options.Lambda}"
        : ", cross-entropy only";

    /// <summary>Trains in <paramref name="folder"/>, resuming its latest checkpoint when the job resumes and there is one.</summary>
    private static T TrainIn<T>(string title, string folder, JobParts job, string description, Func<ITrainingReporter, RunSetting, T> train)
    {
        Directory.CreateDirectory(folder);
        string? resumeFrom = job.Settings.Resume is not null && Directory.Exists(Path.Combine(folder, TrainingCheckpoint.Folder))
            ? TrainingCheckpoint.Locate(folder)
            : null;
        if (resumeFrom is not null)
        {
            (int step, StepTail? pending) = TrainingCheckpoint.ReadResumePoint(resumeFrom);
            MetricsLog.TruncateAfter(folder, step, pending is null ? null : pending.Rewrites);
        }
        else if (job.Settings.Resume is not null)
        {
            MetricsLog.TruncateAfter(folder, -1); // killed before its first checkpoint: the run starts over, its records too
        }
        using MetricsLog metrics = MetricsLog.Open(folder);
        Console.WriteLine($"{title}: {description}");
        var run = new RunSetting(folder, job.Device, job.Evaluator, metrics,
            InitialWeights: resumeFrom is null ? job.Settings.InitialWeights : null, ResumeFrom: resumeFrom, Stop: job.Stop);
        return ConsoleTrainingReporter.Run(title, reporter => train(reporter, run));
    }

    private static TrainJobSettings ResumedSettings(TrainJobSettings requested)
    {
        string folder = CliOptions.RequireFolder(requested.Resume!, "--resume run");
        string path = Path.Combine(folder, SettingsFile);
        if (!File.Exists(path)) throw new ArgumentException($"'{folder}' is not a train run folder (no {SettingsFile})");
        TrainJobSettings saved;
        try
        {
            saved = JsonSerializer.Deserialize<TrainJobSettings>(File.ReadAllText(path))
                    ?? throw new InvalidDataException($"{path} is empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not a train job: {e.Message}", e);
        }
        // Where the teacher runs and which cores are used may change between sessions; what is trained may not.
        return saved with
        {
            RunFolder = folder, Resume = folder, TeacherUrls = requested.TeacherUrls, ModelsFolder = requested.ModelsFolder, Client = requested.Client,
            TeacherThreads = requested.TeacherThreads, Device = requested.Device, Threads = requested.Threads,
            TeacherCache = requested.TeacherCache ?? saved.TeacherCache,
        };
    }

    private static int Interrupted(string runFolder, DistillResult result)
    {
        Console.Error.WriteLine($"interrupted after step {result.StepsDone}; checkpoint {result.CheckpointFolder}; " +
                                $"continue with: train --resume {runFolder}");
        return InterruptedExitCode;
    }

    private static string NewRunFolder() => Path.Combine("runs", $"train-{DateTime.UtcNow:yyyyMMdd-HHmmss}");
}
