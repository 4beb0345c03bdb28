using Distill.Shared.Native;
using Distill.StudentTrainer.Distillation;
using Distill.StudentTrainer.Evaluation;
using Distill.StudentTrainer.Schemes;
using Spectre.Console;

namespace Distill.StudentTrainer.Cli;

/// <summary>The before/after table of a train job: step 0, the distilled student and the cross-entropy baseline.</summary>
/// <param name="Before">The evaluation at step 0 (from the metrics log when the run was resumed).</param>
/// <param name="EvaluatedOn">What the evaluations measured on: validation text, or a pair run's held-out pairs.</param>
/// <param name="Pairs">The distilled run's mode figures when the pair trainer trained it; null otherwise.</param>
/// <param name="MiniLlm">The distilled run when MiniLLM trained it; null otherwise.</param>
public sealed record TrainSummary(string Teacher, string TeacherVersion, DistillOptions Options, StudentEvaluation? Before,
                                  DistillResult Distilled, DistillResult? Baseline, string ExportedFolder, string EvaluatedOn,
                                  PairDistillResult? Pairs = null, MiniLlmRun? MiniLlm = null)
{
    /// <summary>The mode of a run on prompt → response pairs; null on corpus windows.</summary>
    private TrainMode? Mode => MiniLlm is not null ? TrainMode.MiniLlm : Pairs?.Mode;

    private StudentEvaluation? After(DistillResult? run) => run?.Evaluations.LastOrDefault(e => e.Step == Options.Steps).Evaluation;

    public void Print(string runFolder)
    {
        string method = MiniLlm is { Options: var miniLlm }
            ? $"α = {miniLlm.MiniLlm.TeacherMixAlpha}, {miniLlm.PpoEpochs} PPO epochs, lm-coef {miniLlm.MiniLlm.LmCoefficient}"
            : $"{DivergenceKindNames.ToName(Options.Divergence)}, λ = {Options.Lambda}";
        if (Mode is TrainMode mode) method = $"{TrainModeNames.ToName(mode)}: {method}";
        string tokens = Mode is null ? "tokens" : "response tokens";
        var table = new Table().Title($"student after {Options.Steps} steps ({Distilled.TokensSeen:N0} {tokens}) · teacher {Teacher} {TeacherVersion}")
            .AddColumn(new TableColumn("").NoWrap()).AddColumn(new TableColumn("step 0").RightAligned())
            .AddColumn(new TableColumn($"distilled ({method})").RightAligned());
        if (Baseline is not null) table.AddColumn(new TableColumn("cross-entropy").RightAligned());
        foreach ((string name, Func<StudentEvaluation, double?> value, string format) in Rows(heldOutPairs: Mode is not null))
            Row(name, Format(Before, value, format), run => Format(After(run), value, format));
        Row("training time (s)", "", run => run.Seconds.ToString("F0"));
        Row("eval + checkpoints (s)", "", run => run.AsideSeconds.ToString("F0"));
        Row("training tokens/s", "", run => run.TokensPerSecond.ToString("N0"));
        Row("waiting for the teacher", "", run => ReferenceEquals(run, Baseline) ? "—" : run.TeacherWaitShare.ToString("P1"));
        AnsiConsole.Write(table);

        void Row(string name, string before, Func<DistillResult, string> after) =>
            table.AddRow([name, before, after(Distilled), .. Baseline is null ? Array.Empty<string>() : [after(Baseline)]]);
        Console.WriteLine($"evaluated on {EvaluatedOn}");
        if (Pairs is not null) Console.WriteLine(DescribeSources(Pairs));
        if (MiniLlm is not null) Console.WriteLine(MiniLlm.DescribeResult());
        Console.WriteLine($"teacher version changes during the run: {Distilled.TeacherVersionChanges}");
        Console.WriteLine($"run folder: {runFolder} (metrics.jsonl, loss.png, eval.png, summary.json, checkpoints/)");
        Console.WriteLine($"exported student: {ExportedFolder}; serve it with");
        Console.WriteLine($"  dotnet run -c Release --project TeacherServer -- --models {Path.GetDirectoryName(ExportedFolder)}");
    }

    private static (string Name, Func<StudentEvaluation, double?> Value, string Format)[] Rows(bool heldOutPairs) =>
    [
        (heldOutPairs ? "perplexity (held-out pairs)" : "validation perplexity", e => e.ValidationPerplexity, "F2"),
        ("KL(teacher ‖ student)", e => e.KlToTeacher, "F4"),
        ("top-1 agreement", e => e.TeacherTop1Agreement, "P1"),
        ("calibration error (ECE)", e => e.ExpectedCalibrationError, "F4"),
        ("ROUGE-L vs reference", e => e.RougeLReference, "F4"),
        ("ROUGE-L vs teacher", e => e.RougeLTeacher, "F4"),
    ];

    private static string Format(StudentEvaluation? evaluation, Func<StudentEvaluation, double?> value, string format) =>
        evaluation is not null && value(evaluation) is double v ? v.ToString(format) : "—";

    /// <summary>"batches: gold 62.5 %, student samples 25.0 %, replayed 12.5 %; DistiLLM threshold 0.2, replay buffer 1000".</summary>
    public static string DescribeSources(PairDistillResult run)
    {
        BatchSourceCounts sources = run.Sources;
        string gold = run.Mode == TrainMode.SeqKd ? "teacher responses" : "gold";
        string text = $"batches: {gold} {sources.Share(BatchSource.Gold):P1}, student samples {sources.Share(BatchSource.Generate):P1}, "
                      + $"replayed {sources.Share(BatchSource.Replay):P1} (of {sources.Total:N0})";
        if (run.Threshold is double threshold) text += $"; DistiLLM threshold {threshold:F1}, replay buffer {run.ReplayBufferCount:N0}";
        return text;
    }

    public object ToJson() => new
    {
        teacher = Teacher,
        teacher_version = TeacherVersion,
        mode = Mode is TrainMode mode ? TrainModeNames.ToName(mode) : null,
        options = Options,
        evaluated_on = EvaluatedOn,
        before = Before?.ToMetrics(),
        distilled = Describe(Distilled),
        baseline = Baseline is null ? null : Describe(Baseline),
        exported = ExportedFolder,
        malloc_tuning = MallocTuning.Outcome.ToString(),
        batch_sources = Pairs is null ? null : new
        {
            counts = Pairs.Sources,
            shares = Enum.GetValues<BatchSource>().ToDictionary(source => source.ToString().ToLowerInvariant(), Pairs.Sources.Share),
            distillm_threshold = Pairs.Threshold,
            replay_buffer = Pairs.ReplayBufferCount,
        },
        minillm = MiniLlm is null ? null : new
        {
            options = MiniLlm.Options,
            response_tokens = MiniLlm.Result.ResponseTokens,
            lm_tokens = MiniLlm.Result.LmTokens,
            teacher_requests = MiniLlm.Result.TeacherRequests,
        },
    };

    private object Describe(DistillResult run) => new
    {
        steps = run.StepsDone,
        tokens = run.TokensSeen,
        seconds = run.Seconds,
        aside_seconds = run.AsideSeconds,
        tokens_per_second = run.TokensPerSecond,
        teacher_wait_share = run.TeacherWaitShare,
        teacher_version_changes = run.TeacherVersionChanges,
        final = After(run)?.ToMetrics(),
        checkpoint = run.CheckpointFolder,
    };
}
