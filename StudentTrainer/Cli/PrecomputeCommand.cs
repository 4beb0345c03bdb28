using System.CommandLine;
using System.Globalization;
using Distill.Shared.Tokenization;
using Distill.Shared.Wire;
using Distill.StudentTrainer.Distillation;
using Distill.StudentTrainer.Evaluation;
using Distill.StudentTrainer.Teacher;
using Distill.StudentTrainer.TeacherCache;

namespace Distill.StudentTrainer.Cli;

/// <summary>
/// <c>precompute</c>: asks the teacher once for every answer a <c>train</c> run with the same options will need and
/// writes them to <c>--teacher-cache</c>; <c>train --teacher-cache</c> then runs with no server. <c>--shard i/n</c>
/// computes one of n parts, so that several machines share the work.
/// </summary>
public static class PrecomputeCommand
{
    public static Command Create()
    {
        Option<string> shard = new("--shard") { Description = "i/n: compute part i (from 0) of n; part i holds training batches b with b mod n = i, part 0 also the evaluation's answers", DefaultValueFactory = _ => "0/1" };
        Option<string> logprobs = new("--logprobs") { Description = "float16 (half the bytes) or float32 (the live run's losses exactly)", DefaultValueFactory = _ => "float16" };
        return TrainCommand.Build("precompute",
            "Ask the teacher once for every answer a train run with these options needs and store them in --teacher-cache (train --teacher-cache then needs no server)",
            [shard, logprobs], (job, result, cancellation) => RunAsync(job, Shard(result.GetValue(shard)!), Precision(result.GetValue(logprobs)!), cancellation));
    }

    private static async Task<int> RunAsync(TrainJobSettings settings, (int Index, int Count) shard, LogprobPrecision precision, CancellationToken cancellation)
    {
        string folder = settings.TeacherCache ?? throw new ArgumentException("precompute needs --teacher-cache <folder> to write the answers to");
        if (settings.OnPairs || settings.Mode != Schemes.TrainMode.OffPolicy)
            throw new ArgumentException("precompute covers corpus runs (no --tasks, --mode offpolicy); runs on prompt → response pairs ask a live teacher");
        if (settings.Resume is not null) throw new ArgumentException("precompute takes the options of a run, not --resume");
        CliOptions.ApplyRuntime(settings.Device, settings.Threads);
        LoadedTokenizer tokenizer = TokenizerLoader.Load(CliOptions.RequireFolder(settings.TokenizerFolder, "tokenizer"));
        StudentChoice student = StudentChoice.Resolve(settings.Student, settings.InitialWeights, tokenizer);
        DistillOptions options = settings.Options with { Student = student.Config };
        options.Validate();
        if (!options.UsesTeacher) throw new ArgumentException("--lambda 0 asks the teacher nothing: there is nothing to precompute");
        var (train, validation, _) = CorpusTokens.Load(settings.DataFolder, tokenizer, settings.Corpus);
        string logFolder = Path.Combine(folder, "logs");
        Directory.CreateDirectory(logFolder);
        await using TeacherSession session = await TeacherSession.OpenAsync(settings.TeacherUrls, settings.TeacherModel, settings.ModelsFolder,
            settings.TeacherThreads, logFolder, new StudentVocabulary(tokenizer.Fingerprint, student.Config.VocabSize), options.SequenceLength,
            settings.Client, cancellation);
        ITeacher teacher = session.Teacher;
        var run = new TeacherCacheRun(train, options, TrainJob.CorpusEvaluationSet(settings, validation, options, teacher.Model), options.BatchSize,
            StudentEvaluator.WindowTopK(StudentEvaluator.DefaultTeacherTopK, teacher.Model.VocabSize));
        Console.WriteLine($"precompute: part {shard.Index} of {shard.Count}, {run.Batches} batches of {options.BatchSize} × {options.SequenceLength} tokens "
                          + $"at k = {options.TopK}, τ = {options.Temperature}, {precision.ToString().ToLowerInvariant()} log-probs → {folder}");
        TeacherCacheManifest part = TeacherCachePrecompute.Run(teacher, run, folder, shard.Index, shard.Count, precision,
            progress: Console.WriteLine, stop: cancellation);
        Console.WriteLine($"wrote part {part.Shard} of {part.Shards}: {part.Sequences:N0} sequences, {part.Positions:N0} positions, "
                          + $"{part.AnswerBytes / 1e6:F1} MB, {part.BytesPerPosition:F1} bytes per position");
        return 0;
    }

    private static (int, int) Shard(string text)
    {
        string[] parts = text.Split('/');
        if (parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int index)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int count) && count >= 1 && index < count)
            return (index, count);
        throw new ArgumentException($"--shard must be i/n with 0 ≤ i < n, got '{text}'");
    }

    private static LogprobPrecision Precision(string text) => text switch
    {
        "float16" => LogprobPrecision.Float16,
        "float32" => LogprobPrecision.Float32,
        _ => throw new ArgumentException($"--logprobs must be float16 or float32, got '{text}'"),
    };
}
