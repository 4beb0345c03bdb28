using System.CommandLine;
using System.Text.Json;
using Distill.Shared.Tokenization;
using Distill.StudentTrainer.Data;
using Distill.StudentTrainer.Distillation;
using Distill.StudentTrainer.Evaluation;
using Distill.StudentTrainer.Model;
using Distill.StudentTrainer.Teacher;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Cli;

/// <summary>
/// <c>eval</c>: the train job's evaluation of one checkpoint, against a served teacher, on corpus windows or, with
/// <c>--tasks</c>, on held-out prompt → response pairs (<see cref="PairEvaluator"/>).
/// </summary>
public static class EvalCommand
{
    public static Command Create()
    {
        var defaults = new TrainJobSettings { Options = new DistillOptions { Student = Gpt2Config.Student } };
        var pairDefaults = new PairEvaluationOptions();
        var teacher = new TeacherCliOptions();
        Option<string> checkpoint = new("--checkpoint") { Description = "A train run folder (its latest checkpoint), a checkpoint folder, or a pretrain run folder", Required = true };
        Option<bool> noTeacher = new("--no-teacher") { Description = "Only perplexity, calibration and ROUGE-L against the true text" };
        Option<string?> tokenizer = new("--tokenizer") { Description = $"Tokenizer folder of the student. Default: the model's folder when it holds tokenizer files, else {StudentChoice.DefaultTokenizer}" };
        Option<string?> tasks = new("--tasks") { Description = "Evaluate on these held-out prompt → response pairs (a .jsonl or .parquet file: prompt and response or completion) instead of corpus windows: every figure over the response tokens" };
        Option<int?> maxPairs = new("--max-pairs") { Description = "With --tasks: evaluate only the first N pairs (default: all)" };
        Option<int> rougePairs = new("--rouge-pairs") { Description = "With --tasks: the first N pairs are continued greedily for ROUGE-L", DefaultValueFactory = _ => pairDefaults.RougePairs };
        Option<int> sequenceLength = new("--seq-len") { Description = "Tokens per evaluation window (without --tasks)", DefaultValueFactory = _ => defaults.Options.SequenceLength };
        Option<int> windows = new("--eval-windows") { Description = "Validation windows for KL, agreement and calibration (without --tasks)", DefaultValueFactory = _ => defaults.EvalWindows };
        Option<int> prompts = new("--eval-prompts") { Description = "Held-out prompts continued greedily for ROUGE-L (without --tasks)", DefaultValueFactory = _ => defaults.EvalPrompts };
        Option<string?> json = new("--json") { Description = "Also write the figures to this JSON file" };
        var corpus = new CorpusCliOptions();
        Option<string> device = CliOptions.Device();
        Option<int> threads = CliOptions.Threads();

        var command = new Command("eval", "Evaluate a student: validation perplexity, KL to and top-1 agreement with the teacher, ECE, ROUGE-L");
        foreach (Option option in new Option[] { checkpoint, noTeacher, tokenizer, tasks, maxPairs, rougePairs, sequenceLength, windows, prompts, json, device, threads }.Concat(corpus.All).Concat(teacher.All))
            command.Options.Add(option);
        command.SetAction(async (result, cancellation) =>
        {
            Device torchDevice = CliOptions.ApplyRuntime(result.GetValue(device)!, result.GetValue(threads));
            string given = CliOptions.RequireFolder(result.GetValue(checkpoint)!, "checkpoint");
            string folder = CheckpointModel(given);
            LoadedTokenizer loaded = TokenizerLoader.Load(CliOptions.RequireFolder(StudentChoice.TokenizerFolder(result.GetValue(tokenizer), folder, given), "tokenizer"));
            using CausalLm model = ModelFolder.Load(folder, torchDevice);
            string? tasksFile = result.GetValue(tasks);
            var pairOptions = new PairEvaluationOptions { MaxPairs = result.GetValue(maxPairs), RougePairs = result.GetValue(rougePairs) };
            TokenizedPair[]? pairs = null;
            int length;
            if (tasksFile is not null)
            {
                pairOptions.Validate();
                pairs = PairEvaluator.ReadPairs(tasksFile, loaded, model.Config.ContextLength, pairOptions.MaxPairs);
                length = PairEvaluator.TeacherContextNeeded(pairs);
            }
            else
            {
                length = result.GetValue(sequenceLength);
                if (length < 2 || length > model.Config.ContextLength)
                    throw new ArgumentException($"--seq-len must be in [2, {model.Config.ContextLength}], got {length}");
            }

            await using TeacherSession? session = result.GetValue(noTeacher) ? null : await TeacherSession.OpenAsync(
                result.GetValue(teacher.Urls) ?? [], result.GetValue(teacher.Model), result.GetValue(teacher.ModelsFolder)!,
                result.GetValue(teacher.Threads), Directory.CreateTempSubdirectory("distill-eval-").FullName,
                new StudentVocabulary(loaded.Fingerprint, model.Config.VocabSize), length,
                teacher.Client(result), cancellation);
            IStudentEvaluator evaluator = pairs is not null
                ? new PairEvaluator(pairs, loaded, torchDevice, session?.Teacher, pairOptions)
                : WindowEvaluator(corpus.Path(result), corpus.Options(result), loaded, model, length, session?.Teacher,
                    defaults with { EvalWindows = result.GetValue(windows), EvalPrompts = result.GetValue(prompts) }, torchDevice);
            using var owned = (IDisposable)evaluator;
            StudentEvaluation evaluation = evaluator.Evaluate(model);
            Console.WriteLine(DistillationTrainer.Describe(tasksFile is null ? folder : $"{folder} on {tasksFile}", evaluation));
            if (result.GetValue(json) is string path)
                File.WriteAllText(path, JsonSerializer.Serialize(evaluation.ToMetrics(), new JsonSerializerOptions { WriteIndented = true }));
            return 0;
        });
        return command;
    }

    /// <summary>The evaluator of corpus windows and prompts of the validation split of <paramref name="data"/>.</summary>
    private static StudentEvaluator WindowEvaluator(string data, CorpusOptions corpusOptions, LoadedTokenizer tokenizer, CausalLm model, int length, ITeacher? teacher,
                                                    TrainJobSettings settings, Device device)
    {
        var (_, validation, _) = CorpusTokens.Load(data, tokenizer, corpusOptions);
        EvaluationSet set = settings.EvaluationSet(validation, length, Math.Min(model.Config.ContextLength, teacher?.Model.ContextLength ?? int.MaxValue));
        return new StudentEvaluator(set, tokenizer, device, teacher);
    }

    /// <summary>The model folder that <paramref name="folder"/> stands for: itself, or a run's latest checkpoint.</summary>
    private static string CheckpointModel(string folder) =>
        ModelFolder.HoldsModel(folder) ? folder : TrainingCheckpoint.Locate(folder);
}
