using System.Runtime.InteropServices;
using System.Text.Json;
using Distill.Shared.Tokenization;
using Distill.StudentTrainer.Data;
using Distill.StudentTrainer.Distillation;
using Distill.StudentTrainer.Evaluation;
using Distill.StudentTrainer.Export;
using Distill.StudentTrainer.Model;
using Distill.StudentTrainer.Teacher;
using Spectre.Console;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Cli;

/// <summary>
/// The <c>train</c> job: connect to (or start) the teacher, distil, train the cross-entropy baseline on the same
/// steps and data, evaluate both, export the distilled student as a servable model folder, and print a summary.
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
        Device device = CliOptions.ApplyRuntime(settings.Device, settings.Threads);
        LoadedTokenizer tokenizer = TokenizerLoader.Load(CliOptions.RequireFolder(settings.Tokenizer, "tokenizer"));
        GptConfig studentConfig = GptConfig.Resolve(settings.Student) with { VocabSize = tokenizer.VocabSize };
        DistillOptions options = settings.Options with { Student = studentConfig };
        options.Validate();
        if (settings.InitialWeights is not null) CliOptions.RequireFolder(settings.InitialWeights, "--init checkpoint");
        var (train, validation, _) = CorpusTokens.Load(CliOptions.RequireFolder(settings.DataFolder, "data"), tokenizer);

        string runFolder = settings.RunFolder ?? NewRunFolder();
        if (settings.Resume is null && Directory.Exists(Path.Combine(runFolder, TrainingCheckpoint.Folder)))
            throw new ArgumentException($"'{runFolder}' already holds a run: continue it with --resume {runFolder}, or choose another --out");
        Directory.CreateDirectory(runFolder);
        byte[] settingsJson = JsonSerializer.SerializeToUtf8Bytes(settings with { RunFolder = runFolder, Resume = null, Options = options }, JsonOptions);
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

        await using TeacherSession session = await TeacherSession.OpenAsync(settings.TeacherUrls, settings.TeacherModel,
            settings.ModelsFolder, settings.TeacherThreads, runFolder, new StudentVocabulary(tokenizer.Fingerprint, studentConfig.VocabSize),
            options.SequenceLength, settings.Client, stop.Token);
        ITeacher teacher = session.Teacher;

        EvaluationSet set = settings.EvaluationSet(validation, options.SequenceLength,
            Math.Min(studentConfig.ContextLength, teacher.Model.ContextLength));
        using var evaluator = new StudentEvaluator(set, tokenizer, device, teacher, options.BatchSize);

        DistillResult distilled = TrainOne("distil", options, runFolder, settings, train, device, teacher, evaluator, stop.Token);
        if (distilled.Interrupted) return Interrupted(runFolder, distilled);

        DistillResult? baseline = null;
        if (settings.Baseline)
        {
            baseline = TrainOne("cross-entropy baseline", options with { Lambda = 0 }, Path.Combine(runFolder, BaselineFolder),
                settings, train, device, null, evaluator, stop.Token);
            if (baseline.Interrupted) return Interrupted(runFolder, baseline);
        }

        string exported = Path.Combine(runFolder, ExportFolder, ExportedModelName);
        using (Gpt model = GptCheckpoint.Load(distilled.CheckpointFolder!))
            OnnxExporter.Export(model, settings.Tokenizer, exported);
        TrainingPlots.WriteAll(runFolder);
        if (baseline is not null) TrainingPlots.WriteAll(Path.Combine(runFolder, BaselineFolder));

        StudentEvaluation? before = distilled.Evaluations.FirstOrDefault(e => e.Step == 0).Evaluation
            ?? MetricsLog.ReadAll(runFolder).Where(r => r.Kind == MetricsRecord.Eval && r.Step == 0).Select(StudentEvaluation.FromMetrics).FirstOrDefault();
        var summary = new TrainSummary(teacher.Model.Name, teacher.Model.Version, options, before, distilled, baseline, exported);
        File.WriteAllText(Path.Combine(runFolder, "summary.json"), JsonSerializer.Serialize(summary.ToJson(), JsonOptions));
        summary.Print(runFolder);
        return 0;
    }

    private static DistillResult TrainOne(string title, DistillOptions options, string folder, TrainJobSettings settings,
        TokenStream train, Device device, ITeacher? teacher, IStudentEvaluator evaluator, CancellationToken stop)
    {
        Directory.CreateDirectory(folder);
        string? resumeFrom = settings.Resume is not null && Directory.Exists(Path.Combine(folder, TrainingCheckpoint.Folder))
            ? TrainingCheckpoint.Locate(folder)
            : null;
        if (resumeFrom is not null) MetricsLog.TruncateAfter(folder, TrainingCheckpoint.ReadState(resumeFrom).Step);
        using MetricsLog metrics = MetricsLog.Open(folder);
        Console.WriteLine($"{title}: {options.Steps} steps of {options.BatchSize * options.GradientAccumulation} × {options.SequenceLength} tokens"
                          + (options.UsesTeacher ? $", {DivergenceKindNames.ToName(options.Divergence)} at k = {options.TopK}, τ = {options.Temperature}, λ = {options.Lambda}" : ", cross-entropy only"));
        return ConsoleTrainingReporter.Run(title, reporter => new DistillationTrainer(options, reporter).Run(new DistillRunContext(
            train, folder, device, teacher, evaluator, metrics,
            InitialWeights: resumeFrom is null ? settings.InitialWeights : null, ResumeFrom: resumeFrom, Stop: stop)));
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
