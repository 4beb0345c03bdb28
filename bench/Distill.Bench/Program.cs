using Distill.Bench.Quality;
using Distill.Bench.Server;
using Distill.Shared.Native;

namespace Distill.Bench;

/// <summary>Benchmarks that print figures. A named class, not top-level statements: TeacherServer's public Program must stay the only Program.</summary>
public static class BenchProgram
{
    public static async Task<int> Main(string[] args)
    {
        MallocTuningOutcome malloc = MallocTuning.Apply(typeof(BenchProgram).Assembly);
        string mode = args.Length > 0 ? args[0] : "";
        switch (mode)
        {
            case "training-speed":
                Console.WriteLine($"malloc tuning: {malloc}");
                TrainingSpeedBench.Run(args[1..]);
                return 0;
            case "server":
                return await ServerBenchmark.RunAsync(args[1..]);
            case "flood":
                return await FloodBenchmark.RunAsync(args[1..]);
            case "incremental":
                return await IncrementalBenchmark.RunAsync(args[1..]);
            case "kv-memory":
                return Server.KvMemoryBenchmark.Run(args[1..]);
            case "malloc-tuning":
                return await Training.MallocTuningBench.RunAsync(args[1..]);
            case "prefetch":
                return await Training.PrefetchBenchmark.RunAsync(args[1..]);
            case "minillm-uneven":
                return await Training.MiniLlmUnevenPromptsBench.RunAsync(args[1..]);
            case "quality":
                return await RunQualityAsync(args[1..]);
            case "kill-resume":
                return await Resilience.KillResumeBench.RunAsync(args[1..]);
            default:
                Console.Error.WriteLine("usage: Distill.Bench <mode> [options]; modes: training-speed, malloc-tuning, server, flood, incremental, kv-memory, prefetch, minillm-uneven, quality, kill-resume");
                Console.Error.WriteLine("  malloc-tuning [--rounds 2]   training-speed with glibc's default malloc and with the project's tuning");
                Console.Error.WriteLine("  server [--model <folder>] [--batch 8] [--length 128] [--k 64] [--seconds 3] [--rounds 3] [--clients 16] [--threads 0] [--batch-tokens N]");
                Console.Error.WriteLine("  flood [--model <folder>] [--server <Distill.TeacherServer.dll>] [--heap-limit 1610612736] [--clients 24] [--batch 64] [--length 256] [--k 256] [--json-clients 4] [--huge-sequences 8000] [--idle-uploads 40] [--work-budget N] [--body-budget N]");
                Console.Error.WriteLine("  incremental [--model models/austen-gpt] [--batch 8] [--prompt 64] [--steps 128] [--k 64] [--warmup 1] [--rounds 5] [--threads 0]");
                Console.Error.WriteLine("  kv-memory [--rounds 7] [--bytes 23855104]   first touch of a prefix-cache block's fresh memory, 4 KiB vs huge pages");
                Console.Error.WriteLine("  prefetch [--steps 24] [--rounds 2] [--prefetch 2] [--k 256] [--float16] [--student student|teacher|<model.json>] [--models models] [--no-pin]");
                Console.Error.WriteLine("  minillm-uneven [--batch 8] [--shortest 16] [--longest 192] [--tokens 48] [--k 64] [--rounds 5] [--threads 1] [--models models]   MiniLLM rollouts, per-row starts vs one start");
                Console.Error.WriteLine("  kill-resume [--steps 300] [--kills 10] [--seed 1] [--threads 1] [--models models] [--data data/austen] [--out <folder>]   SIGKILL a train run at random moments, resume, compare losses");
                Console.Error.WriteLine("  quality [--methods " + string.Join(",", QualityMethods.Names) + "] [--seeds 1,2,3] [--results bench/results] [--force] [--dry-run] [--steps N --results <trial folder>]");
                return 2;
        }
    }

    /// <summary>Runs the quality bench (runs in runs/quality); Ctrl+C stops it after keeping the runs that finished.</summary>
    private static async Task<int> RunQualityAsync(string[] args)
    {
        var budget = new QualityBudget();
        int at = Array.IndexOf(args, "--steps");
        if (at >= 0)
        {
            // a trial budget: its results must not mix with the table's
            if (at + 1 >= args.Length || !int.TryParse(args[at + 1], out int steps) || steps < 1 || !args.Contains("--results"))
            {
                Console.Error.WriteLine("error: --steps N (N ≥ 1) sets a trial budget and needs its own --results folder");
                return 1;
            }
            budget = budget with { Steps = steps };
            args = [.. args[..at], .. args[(at + 2)..]];
        }
        string runs = Path.GetFullPath(Path.Combine("runs", "quality"));
        Directory.CreateDirectory(runs);
        await using var runner = new LazyQualityRunner(budget, runs);
        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            return await QualityCommand.RunAsync(args, runner, Console.Out, Console.Error, cancel.Token);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }
}
