using System.Diagnostics;
using Distill.Shared.Tokenization;
using Distill.StudentTrainer.Cli;
using Distill.StudentTrainer.Distillation;
using Distill.StudentTrainer.Model;
using Distill.StudentTrainer.Teacher;
using Distill.StudentTrainer.Training;
using static TorchSharp.torch;
using static Distill.Bench.Statistics;

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
            string studentName = BenchArgs.String(args, "--student", "student");
            ModelConfig student = ModelFolder.ResolveConfig(studentName) with { VocabSize = tokenizer.VocabSize };
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

            Console.WriteLine($"prefetch: student '{studentName}' ({student.Layers} layers, heads of {student.HeadDim}), {options.BatchSize} × {options.SequenceLength} tokens per step, " +
                              $"k = {options.TopK}{(args.Contains("--float16") ? " (float16 answers)" : "")}, {steps} steps per round, {rounds} rounds, prefetch depth {depth}; " +
                              (pin ? "teacher pinned to core 0, trainer to core 1" : "no pinning"));
            var live1 = new List<RunRates>();
            var memory1 = new List<RunRates>();
            for (int round = 0; round < rounds; round++)
            {
                RunRates withTeacher = Train(options, train, recorded, Path.Combine(runs, $"live-{round}"));
                RunRates fromMemory = Train(options, train, recorded.Replay(), Path.Combine(runs, $"memory-{round}"));
                if (args.Contains("--busy-teacher"))
                {
                    using var stop = new CancellationTokenSource();
                    Task load = recorded.KeepBusyAsync(stop.Token);
                    RunRates busy = Train(options, train, recorded.Replay(), Path.Combine(runs, $"busy-{round}"));
                    stop.Cancel();
                    await load;
                    Console.WriteLine($"  round {round + 1}: answers in memory while the teacher computes the same batches on the other core: {busy.AfterFirstStep:N0} tokens/s after step 1");
                }
                live1.Add(withTeacher);
                memory1.Add(fromMemory);
                Console.WriteLine($"  round {round + 1}: live teacher {withTeacher.WholeRun:N0} tokens/s, {withTeacher.AfterFirstStep:N0} after step 1 (waiting {withTeacher.WaitShare:P1}, {withTeacher.WaitShareAfterFirstStep:P1}); " +
                                  $"answers in memory {fromMemory.WholeRun:N0}, {fromMemory.AfterFirstStep:N0}");
            }
            double liveWhole = Median(live1.Select(r => r.WholeRun)), memoryWhole = Median(memory1.Select(r => r.WholeRun));
            double liveSteady = Median(live1.Select(r => r.AfterFirstStep)), memorySteady = Median(memory1.Select(r => r.AfterFirstStep));
            Console.WriteLine($"{"tokens/s (median of rounds)",-44}{"whole run",12}{"vs memory",11}{"after step 1",14}{"vs memory",11}");
            Console.WriteLine($"{"student training, answers in memory",-44}{memoryWhole,12:N0}{1.0,10:F2}x{memorySteady,14:N0}{1.0,10:F2}x");
            Console.WriteLine($"{"student training, live teacher + prefetch",-44}{liveWhole,12:N0}{liveWhole / memoryWhole,10:F2}x{liveSteady,14:N0}{liveSteady / memorySteady,10:F2}x");
            Console.WriteLine($"share of step time waiting for the teacher (live): {Median(live1.Select(r => r.WaitShare)):P1} whole run, " +
                              $"{Median(live1.Select(r => r.WaitShareAfterFirstStep)):P1} after step 1 (step 1 waits for the first answer, which `train` computes during its step-0 evaluation)");
            await TeacherLoad.PrintAsync(server.BaseAddress, options.BatchSize * options.SequenceLength, memorySteady, liveSteady);
            return 0;
        }
        finally
        {
            Directory.Delete(runs, recursive: true);
        }
    }

    private static RunRates Train(DistillOptions options, StudentTrainer.Data.TokenStream train, ITeacher teacher, string folder)
    {
        var steps = new StepRecorder();
        DistillResult result = new DistillationTrainer(options, steps).Run(new DistillRunContext(train, folder, CPU, teacher));
        return RunRates.From(result, steps.Reports, options.BatchSize * options.SequenceLength);
    }
}
