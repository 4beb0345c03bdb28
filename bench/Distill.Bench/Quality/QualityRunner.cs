using System.Diagnostics;
using System.Text.Json;
using Distill.Shared.Tokenization;
using Distill.StudentTrainer.Cli;
using Distill.StudentTrainer.Data;
using Distill.StudentTrainer.Distillation;
using Distill.StudentTrainer.Evaluation;
using Distill.StudentTrainer.Model;
using Distill.StudentTrainer.Schemes;
using Distill.StudentTrainer.Teacher;
using Distill.StudentTrainer.Training;
using static TorchSharp.torch;

namespace Distill.Bench.Quality;

/// <summary>
/// Trains each method of the quality bench from one pretrained student against one auto-started teacher, on the
/// task set's train pairs for one budget, and evaluates it on the held-out pairs with one evaluator (so the teacher's
/// answers on them are fetched once for the whole bench).
/// </summary>
public sealed class QualityRunner : IQualityRunner, IAsyncDisposable
{
    private const string TasksFolder = "data/tasks";
    private const string TeacherFolder = "models/austen-gpt";

    private readonly QualityBudget _budget;
    private readonly string _runs;
    private readonly LoadedTokenizer _tokenizer;
    private readonly ModelConfig _student;
    private readonly TokenStream _corpus;
    private readonly TaskPairs _tasks;
    private readonly TeacherServerProcess _server;
    private readonly ITeacher _teacher;
    private readonly PairEvaluator _evaluator;
    private readonly string _pretrained;
    private readonly Device _device;

    private QualityRunner(QualityBudget budget, string runs, LoadedTokenizer tokenizer, ModelConfig student, TokenStream corpus, TaskPairs tasks,
        TeacherServerProcess server, ITeacher teacher, PairEvaluator evaluator, string pretrained, Device device)
    {
        (_budget, _runs, _tokenizer, _student, _corpus, _tasks) = (budget, runs, tokenizer, student, corpus, tasks);
        (_server, _teacher, _evaluator, _pretrained, _device) = (server, teacher, evaluator, pretrained, device);
        Setup = budget.Describe(tasks.Train.Count, evaluator.Pairs.Count, PairOptions.RougePairs);
    }

    private static PairEvaluationOptions PairOptions { get; } = new() { RougePairs = 64 };

    public string Setup { get; }

    public string Budget => _budget.Key;

    /// <summary>Pretrains the student (or reuses the one a run with the same budget left in <paramref name="runs"/>) and starts the teacher.</summary>
    public static async Task<QualityRunner> CreateAsync(QualityBudget budget, string runs, CancellationToken ct)
    {
        Device device = CliOptions.ApplyRuntime("cpu", 0);
        LoadedTokenizer tokenizer = TokenizerLoader.Load(TeacherFolder);
        ModelConfig student = Gpt2Config.Student with { VocabSize = tokenizer.VocabSize };
        var (train, validation, test) = CorpusTokens.Load("data/austen", tokenizer);
        string pretrained = Pretrained(budget, runs, student, train, validation, test, device);

        TaskPairs tasks = TaskPairs.Load(TasksFolder, tokenizer, student.ContextLength, validationNeeded: true);
        IReadOnlyList<TokenizedPair> heldOut = [.. PromptResponseFile.Read(Path.Combine(TasksFolder, TaskSetFiles.Test))
            .Select(pair => PromptResponseTokens.Tokenize(tokenizer, pair, student.ContextLength))];

        TeacherServerProcess server = await TeacherServerProcess.StartAsync(Path.GetFullPath("models"), Path.Combine(runs, "teacher-server.log"),
            budget.TeacherThreads, ct);
        try
        {
            ITeacher teacher = await TeacherConnector.ConnectAsync([server.BaseAddress], "austen-gpt",
                new StudentVocabulary(tokenizer.Fingerprint, student.VocabSize), student.ContextLength, new TeacherClientOptions(), null, ct);
            var evaluator = new PairEvaluator(heldOut, tokenizer, device, teacher, PairOptions);
            return new QualityRunner(budget, runs, tokenizer, student, train, tasks, server, teacher, evaluator, pretrained, device);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    public async Task<QualityResult> RunAsync(string method, int seed, CancellationToken ct)
    {
        string folder = Path.Combine(_runs, $"{method}-seed{seed}");
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        Directory.CreateDirectory(folder);
        var reporter = new QualityReporter($"{method} seed {seed}");
        var clock = Stopwatch.StartNew();
        (string checkpoint, long tokens, string note) = await Task.Run(() => Train(method, seed, folder, reporter, ct), ct);
        double seconds = clock.Elapsed.TotalSeconds;

        using CausalLm model = ModelFolder.Load(checkpoint, _device);
        StudentEvaluation evaluation = _evaluator.Evaluate(model);
        return new QualityResult(method, seed, evaluation.ValidationPerplexity, evaluation.KlToTeacher ?? double.NaN,
            evaluation.TeacherTop1Agreement ?? double.NaN, evaluation.ExpectedCalibrationError, evaluation.RougeLReference ?? double.NaN,
            evaluation.RougeLTeacher ?? double.NaN, seconds, tokens, tokens / seconds, DateTimeOffset.Now, note, Budget);
    }

    private (string Checkpoint, long Tokens, string Note) Train(string method, int seed, string folder, ITrainingReporter reporter, CancellationToken ct)
    {
        if (method == "minillm")
        {
            var options = new MiniLlmTrainerOptions
            {
                Student = _student, Steps = _budget.Steps, BatchSize = _budget.BatchSize, TopK = _budget.TopK, Seed = seed,
                EosId = _tokenizer.EosId, PadId = _tokenizer.EosId ?? 0, CheckpointInterval = _budget.Steps, EvalInterval = _budget.Steps,
            };
            MiniLlmResult result = new MiniLlmTrainer(options, reporter).Run(new MiniLlmRunContext(_tasks.Train, _corpus, _teacher, folder, _device,
                InitialWeights: _pretrained, Stop: ct));
            return (Finished(result.CheckpointFolder, result.Interrupted), result.ResponseTokens,
                $"{result.TeacherRequests:N0} teacher requests; {result.LmTokens:N0} corpus tokens for the LM loss; {Share(result.TeacherWaitShare)} waiting for the teacher");
        }
        PairDistillOptions pair = PairMethod(method, seed);
        PairDistillResult run = new PairDistillationTrainer(pair, reporter) { LogInterval = 10 }.Run(new PairRunContext(
            _tasks.Train, new RunSetting(folder, _device, InitialWeights: _pretrained, Stop: ct), _teacher, _tasks.Validation, _tokenizer.EosId));
        string sources = $"batches: {run.Sources.Gold} gold, {run.Sources.Generate} generated, {run.Sources.Replay} replayed";
        string note = method switch
        {
            "distillm" or "distillm-on" => $"{sources}; final threshold {run.Threshold:F1}",
            "gkd" or "onpolicy" => sources,
            "seqkd" => $"{run.TeacherResponses?.Pairs.Count:N0} teacher responses",
            _ => "",
        };
        return (Finished(run.Run.CheckpointFolder, run.Run.Interrupted), run.Run.TokensSeen,
            note + (pair.UsesTeacher ? $"{(note.Length > 0 ? "; " : "")}{Share(run.Run.TeacherWaitShare)} waiting for the teacher" : ""));
    }

    /// <summary>The options of a token-level or sequence-level method; λ = 1 unless the method is cross-entropy (SFT, SeqKD).</summary>
    private PairDistillOptions PairMethod(string method, int seed)
    {
        var distill = new DistillOptions
        {
            Student = _student, Steps = _budget.Steps, BatchSize = _budget.BatchSize, TopK = _budget.TopK, Seed = seed,
            PeakLearningRate = _budget.PeakLearningRate, FinalLearningRate = _budget.PeakLearningRate / 10, WarmupSteps = 10,
            EvalInterval = _budget.ValidationInterval, CheckpointInterval = _budget.Steps, SequenceLength = _student.ContextLength,
        };
        (TrainMode mode, DivergenceKind divergence, double lambda) = method switch
        {
            "sft" => (TrainMode.OffPolicy, DivergenceKind.Fkl, 0.0),
            "kd" => (TrainMode.OffPolicy, DivergenceKind.Fkl, 1.0),
            "rkl" => (TrainMode.OffPolicy, DivergenceKind.Rkl, 1.0),
            "js" => (TrainMode.OffPolicy, DivergenceKind.Js, 1.0),
            "tvd" => (TrainMode.OffPolicy, DivergenceKind.Tvd, 1.0),
            "skl" => (TrainMode.OffPolicy, DivergenceKind.Skl, 1.0),
            "srkl" => (TrainMode.OffPolicy, DivergenceKind.Srkl, 1.0),
            "akl" => (TrainMode.OffPolicy, DivergenceKind.Akl, 1.0),
            "seqkd" => (TrainMode.SeqKd, DivergenceKind.Fkl, 0.0),
            "gkd" => (TrainMode.OnPolicy, DivergenceKind.Js, 1.0),        // TRL's GKDTrainer: generalised JSD (β 0.5), lmbda 0.5
            "onpolicy" => (TrainMode.OnPolicy, DivergenceKind.Js, 1.0),   // the same with lmbda 1: fully on-policy
            "distillm" => (TrainMode.Distillm, DivergenceKind.Srkl, 1.0), // DistiLLM: skew reverse KL, α 0.1
            "distillm-on" => (TrainMode.Distillm, DivergenceKind.Srkl, 1.0),
            _ => throw new ArgumentException($"unknown method '{method}'"),
        };
        return new PairDistillOptions
        {
            Distill = distill with { Divergence = divergence, Lambda = lambda }, Mode = mode,
            StudentFraction = method == "onpolicy" ? 1.0 : PairDistillOptions.DefaultStudentFraction,
            // DistiLLM's --init-threshold 1.0: the schedule as it runs once the validation loss has risen ten times.
            Distillm = method == "distillm-on" ? new DistillmOptions(InitThreshold: 1.0) : new DistillmOptions(),
        };
    }

    private static string Finished(string? checkpoint, bool interrupted) =>
        interrupted ? throw new OperationCanceledException("the run was stopped") : checkpoint ?? throw new InvalidOperationException("the run wrote no checkpoint");

    private static string Share(double share) => $"{share:P1}";

    private static string Pretrained(QualityBudget budget, string runs, ModelConfig student, TokenStream train, TokenStream validation, TokenStream test, Device device)
    {
        string folder = Path.Combine(runs, "pretrained-student");
        string marker = Path.Combine(folder, "quality-budget.json");
        string wanted = JsonSerializer.Serialize(new { budget.PretrainSteps, Seed = 1234 });
        if (File.Exists(marker) && File.ReadAllText(marker) == wanted && File.Exists(Path.Combine(folder, "model.json"))) return folder;
        var options = new PretrainOptions
        {
            Model = student, Steps = budget.PretrainSteps, BatchSize = 16, PeakLearningRate = 2e-3, FinalLearningRate = 2e-4,
            WarmupSteps = 30, Seed = 1234, EvalInterval = budget.PretrainSteps,
        };
        var result = new Pretrainer(options, new QualityReporter("pretraining the student")).Run(train, validation, test, folder, device);
        File.WriteAllText(marker, wanted);
        return folder;
    }

    public async ValueTask DisposeAsync()
    {
        _evaluator.Dispose();
        await _server.DisposeAsync();
    }
}
