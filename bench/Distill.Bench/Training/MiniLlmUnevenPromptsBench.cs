using System.Diagnostics;
using Distill.Shared.Data;
using Distill.Shared.Tokenization;
using Distill.StudentTrainer.Cli;
using Distill.StudentTrainer.Data;
using Distill.StudentTrainer.Model;
using Distill.StudentTrainer.Schemes;
using Distill.StudentTrainer.Teacher;
using static TorchSharp.torch;
using static Distill.Bench.Statistics;

namespace Distill.Bench.Training;

/// <summary>
/// MiniLLM's rollout (the teacher-bound part of a step: a response sampled token by token, the teacher asked after
/// each) on prompts of uneven length, against the default teacher in a TeacherServer child process with its prefix
/// cache: each row asking from its own last position (per-row starts) beside the client of before, asking every row
/// from the shortest row's last position (<see cref="SharedStartTeacher"/>). Same student, same prompt lengths, fresh
/// prompts for every rollout (so neither finds the other's prompts cached); the two alternate over rounds after an
/// untimed warm-up of each; medians of seconds per rollout.
/// </summary>
public static class MiniLlmUnevenPromptsBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        int batch = BenchArgs.Int(args, "--batch", 8), shortest = BenchArgs.Int(args, "--shortest", 16), longest = BenchArgs.Int(args, "--longest", 192);
        int tokens = BenchArgs.Int(args, "--tokens", 48), k = BenchArgs.Int(args, "--k", 64), rounds = BenchArgs.Int(args, "--rounds", 5);
        int threads = BenchArgs.Int(args, "--threads", 1);
        string models = BenchArgs.String(args, "--models", "models");
        string runs = Path.Combine(Path.GetTempPath(), "distill-minillm-uneven-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(runs);
        try
        {
            set_num_threads(threads);
            LoadedTokenizer tokenizer = TokenizerLoader.Load(Path.Combine(models, "austen-gpt"));
            ModelConfig student = ModelFolder.ResolveConfig("student") with { VocabSize = tokenizer.VocabSize };
            int[] lengths = [.. Enumerable.Range(0, batch).Select(i => shortest + (longest - shortest) * i / Math.Max(1, batch - 1))];
            int[] text = [.. BookCorpus.Load("data/austen").Texts(CorpusSplit.Test).SelectMany(tokenizer.Encode)];
            var options = new MiniLlmTrainerOptions { Student = student, TopK = k, MaxNewTokens = tokens, BatchSize = batch };

            await using TeacherServerProcess server = await TeacherServerProcess.StartAsync(Path.GetFullPath(models), Path.Combine(runs, "teacher-server.log"), threads);
            ITeacher perRow = await TeacherConnector.ConnectAsync([server.BaseAddress], "austen-gpt",
                new StudentVocabulary(tokenizer.Fingerprint, student.VocabSize), longest + tokens, new TeacherClientOptions(), CancellationToken.None);
            ITeacher shared = new SharedStartTeacher(perRow);
            manual_seed(1);
            using CausalLm model = student.CreateModel();

            Console.WriteLine($"minillm-uneven: {batch} prompts of {string.Join(", ", lengths)} tokens (test split), {tokens} sampled tokens each, top-{k}, " +
                              $"student of {student.Layers} layers, {threads} thread(s) for the student and the teacher each; " +
                              $"1 untimed warm-up rollout of each, then {rounds} rounds, medians");
            int rollout = 0;
            double Time(ITeacher teacher)
            {
                TokenizedPair[] pairs = Prompts(text, lengths, tokens, rollout++);
                using var generator = new Generator((ulong)rollout);
                using var scope = NewDisposeScope();
                var clock = Stopwatch.StartNew();
                MiniLlmRolloutSampler.Collect(model, teacher, pairs, options, generator, null, CancellationToken.None);
                return clock.Elapsed.TotalSeconds;
            }
            Time(shared);
            Time(perRow);
            var before = new List<double>();
            var after = new List<double>();
            for (int round = 0; round < rounds; round++)
            {
                bool sharedFirst = round % 2 == 0;
                double first = Time(sharedFirst ? shared : perRow), second = Time(sharedFirst ? perRow : shared);
                before.Add(sharedFirst ? first : second);
                after.Add(sharedFirst ? second : first);
                Console.WriteLine($"  round {round + 1}: one start (the shortest row's) {before[^1]:F3} s, per-row starts {after[^1]:F3} s");
            }
            double old = Median(before), now = Median(after);
            Console.WriteLine($"{"seconds per rollout (median)",-40}{"seconds",10}{"vs one start",14}");
            Console.WriteLine($"{"one start, the shortest row's (before)",-40}{old,10:F3}{1.0,13:F2}x");
            Console.WriteLine($"{"per-row starts (after)",-40}{now,10:F3}{now / old,13:F2}x");
            return 0;
        }
        finally
        {
            Directory.Delete(runs, recursive: true);
        }
    }

    /// <summary>Prompts of the given lengths, each followed by a response of <paramref name="tokens"/>, from a part of the text of their own.</summary>
    private static TokenizedPair[] Prompts(int[] text, int[] lengths, int tokens, int rollout)
    {
        int span = lengths.Max() + tokens;
        int slots = text.Length / span;
        if (slots < lengths.Length) throw new InvalidOperationException("the test split is too short for these prompts");
        return [.. lengths.Select((length, row) =>
        {
            int at = (rollout * lengths.Length + row) % slots * span;
            return new TokenizedPair(text[at..(at + length)], text[(at + length)..(at + length + tokens)]);
        })];
    }
}
