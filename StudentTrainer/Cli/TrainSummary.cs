using Distill.StudentTrainer.Distillation;
using Distill.StudentTrainer.Evaluation;
using Spectre.Console;

namespace Distill.StudentTrainer.Cli;

/// <summary>The before/after table of a train job: step 0, the distilled student and the cross-entropy baseline.</summary>
/// <param name="Before">The evaluation at step 0 (from the metrics log when the run was resumed).</param>
public sealed record TrainSummary(string Teacher, string TeacherVersion, DistillOptions Options, StudentEvaluation? Before,
                                  DistillResult Distilled, DistillResult? Baseline, string ExportedFolder)
{
    private StudentEvaluation? After(DistillResult? run) => run?.Evaluations.LastOrDefault(e => e.Step == Options.Steps).Evaluation;

    public void Print(string runFolder)
    {
        string method = $"{DivergenceKindNames.ToName(Options.Divergence)}, λ = {Options.Lambda}";
        var table = new Table().Title($"student after {Options.Steps} steps ({Distilled.TokensSeen:N0} tokens) · teacher {Teacher} {TeacherVersion}")
            .AddColumn(new TableColumn("").NoWrap()).AddColumn(new TableColumn("step 0").RightAligned())
            .AddColumn(new TableColumn($"distilled ({method})").RightAligned());
        if (Baseline is not null) table.AddColumn(new TableColumn("cross-entropy").RightAligned());
        foreach ((string name, Func<StudentEvaluation, double?> value, string format) in Rows)
            Row(name, Format(Before, value, format), run => Format(After(run), value, format));
        Row("training time (s)", "", run => run.Seconds.ToString("F0"));
        Row("eval + checkpoints (s)", "", run => run.AsideSeconds.ToString("F0"));
        Row("training tokens/s", "", run => run.TokensPerSecond.ToString("N0"));
        Row("waiting for the teacher", "", run => ReferenceEquals(run, Baseline) ? "—" : run.TeacherWaitShare.ToString("P1"));
        AnsiConsole.Write(table);

        void Row(string name, string before, Func<DistillResult, string> after) =>
            table.AddRow([name, before, after(Distilled), .. Baseline is null ? Array.Empty<string>() : [after(Baseline)]]);
        Console.WriteLine($"teacher version changes during the run: {Distilled.TeacherVersionChanges}");
        Console.WriteLine($"run folder: {runFolder} (metrics.jsonl, loss.png, eval.png, summary.json, checkpoints/)");
        Console.WriteLine($"exported student: {ExportedFolder}; serve it with");
        Console.WriteLine($"  dotnet run -c Release --project TeacherServer -- --models {Path.GetDirectoryName(ExportedFolder)}");
    }

    private static readonly (string Name, Func<StudentEvaluation, double?> Value, string Format)[] Rows =
    [
        ("validation perplexity", e => e.ValidationPerplexity, "F2"),
        ("KL(teacher ‖ student)", e => e.KlToTeacher, "F4"),
        ("top-1 agreement", e => e.TeacherTop1Agreement, "P1"),
        ("calibration error (ECE)", e => e.ExpectedCalibrationError, "F4"),
        ("ROUGE-L vs reference", e => e.RougeLReference, "F4"),
        ("ROUGE-L vs teacher", e => e.RougeLTeacher, "F4"),
    ];

    private static string Format(StudentEvaluation? evaluation, Func<StudentEvaluation, double?> value, string format) =>
        evaluation is not null && value(evaluation) is double v ? v.ToString(format) : "—";

    public object ToJson() => new
    {
        teacher = Teacher,
        teacher_version = TeacherVersion,
        options = Options,
        before = Before?.ToMetrics(),
        distilled = Describe(Distilled),
        baseline = Baseline is null ? null : Describe(Baseline),
        exported = ExportedFolder,
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
