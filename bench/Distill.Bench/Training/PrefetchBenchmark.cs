using System.Diagnostics;
using Distill.Shared.Tokenization;
using Distill.StudentTrainer.Cli;
using Distill.StudentTrainer.Distillation;
using Distill.StudentTrainer.Model;
using Distill.StudentTrainer.Teacher;
using Distill.StudentTrainer.Training;
using static TorchSharp.torch;

namespace Distill.Bench.Training;

/// <summary>
/// Does prefetch hide the teacher? Student training tokens/s against the live default teacher (a TeacherServer child
/// process pinned to one core, the trainer pinned to the other) beside the same run with the same teacher answers
/// replayed from memory; rounds interleaved, medians reported, with the share of step time spent waiting.
/// </summary>
public static class PrefetchBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        int steps = BenchArgs.Int(args, "--steps", 24);
        int rounds = BenchArgs.Int(args, "--rounds", 2);
        int depth = BenchArgs.Int(args, "--prefetch", 2);
        string models = BenchArgs.String(args, "--models", "models");
        bool pin = !args.Contains("--no-pin");
        string runs = Path.Combine(Path.GetTempPath(), "distill-prefetch-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(runs);
        try
        {
            if (pin) CoreAffinity.PinProcess(Environment.ProcessId, core: 1);
            set_num_threads(1);
            LoadedTokenizer tokenizer = TokenizerLoader.Load(Path.Combine(models, "austen-gpt"));
            GptConfig student = GptConfig.Student with { VocabSize = tokenizer.VocabSize };
            var options = new DistillOptions { Student = student, Steps = steps, PrefetchDepth = depth, EvalInterval = 1_000_000, CheckpointInterval = 1_000_000 };
            options = options with { TopK = BenchArgs.Int(args, "--k", options.TopK) };
            var (train, _, _) = CorpusTokens.Load("data/austen", tokenizer);

            await using TeacherServerProcess server = await TeacherServerProcess.StartAsync(Path.GetFullPath(models), Path.Combine(runs, "teacher-server.log"), 1, CancellationToken.None);
            if (pin) CoreAffinity.PinProcess(server.ProcessId, core: 0);
            ITeacher live = await TeacherConnector.ConnectAsync([server.BaseAddress], "austen-gpt",
                new StudentVocabulary(tokenizer.Fingerprint, student.VocabSize), options.SequenceLength,
                new TeacherClientOptions { Precision = args.Contains("--float16") ? Shared.Wire.LogprobPrecision.Float16 : Shared.Wire.LogprobPrecision.Float32 },
                CancellationToken.None);
            var recorded = new RecordedTeacher(live);

            Console.WriteLine($"prefetch: default student ({student.EmbeddingSize}×{student.Layers}), {options.BatchSize} × {options.SequenceLength} tokens per step, " +
                              $"k = {options.TopK}{(args.Contains("--float16") ? " (float16 answers)" : "")}, {steps} steps per round, {rounds} rounds, prefetch depth {depth}; " +
                              (pin ? "teacher pinned to core 0, trainer to core 1" : "no pinning"));
            var liveRates = new List<double>();
            var memoryRates = new List<double>();
            var waitShares = new List<double>();
            for (int round = 0; round < rounds; round++)
            {
                DistillResult withTeacher = Train(options, train, recorded, Path.Combine(runs, $"live-{round}"));
                DistillResult fromMemory = Train(options, train, recorded.Replay(), Path.Combine(runs, $"memory-{round}"));
                liveRates.Add(withTeacher.TokensPerSecond);
                memoryRates.Add(fromMemory.TokensPerSecond);
                waitShares.Add(withTeacher.TeacherWaitShare);
                Console.WriteLine($"  round {round + 1}: live teacher {withTeacher.TokensPerSecond:N0} tokens/s (waiting {withTeacher.TeacherWaitShare:P1}), " +
                                  $"answers in memory {fromMemory.TokensPerSecond:N0} tokens/s (waiting {fromMemory.TeacherWaitShare:P1})");
            }
            double liveMedian = Median(liveRates), memoryMedian = Median(memoryRates);
            Console.WriteLine($"{"",-44}{"tokens/s",10}{"vs memory",11}");
            Console.WriteLine($"{"student training, answers in memory",-44}{memoryMedian,10:N0}{1.0,10:F2}x");
            Console.WriteLine($"{"student training, live teacher + prefetch",-44}{liveMedian,10:N0}{liveMedian / memoryMedian,10:F2}x");
            Console.WriteLine($"share of step time waiting for the teacher (live): {Median(waitShares):P1}");
            return 0;
        }
        finally
        {
            Directory.Delete(runs, recursive: true);
        }
    }

    private static DistillResult Train(DistillOptions options, StudentTrainer.Data.TokenStream train, ITeacher teacher, string folder) =>
        new DistillationTrainer(options, new SilentReporter()).Run(new DistillRunContext(train, folder, CPU, teacher));

    private sealed class SilentReporter : ITrainingReporter
    {
        public void Step(StepReport report) { }
        public void Evaluated(int step, string split, double meanLoss, double perplexity) { }
        public void Message(string text) { }
    }

    private static double Median(List<double> values)
    {
        double[] sorted = [.. values.Order()];
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
