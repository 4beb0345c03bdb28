using System.Diagnostics;
using Distill.StudentTrainer.Evaluation;

namespace Distill.Bench.Resilience;

/// <summary>
/// Kills a real <c>train</c> process (auto-started teacher) with SIGKILL at seeded random moments, resumes it each
/// time with <c>train --resume</c>, and compares the run's logged losses with an uninterrupted run's; after each kill
/// it waits for the trainer's TeacherServer to end and counts those that do not.
/// </summary>
public static class KillResumeBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var random = new Random(BenchArgs.Int(args, "--seed", 1));
        (int kills, int steps) = (BenchArgs.Int(args, "--kills", 10), BenchArgs.Int(args, "--steps", 300));
        string root = Path.GetFullPath(BenchArgs.String(args, "--out", Path.Combine("runs", $"kill-resume-{DateTime.UtcNow:yyyyMMdd-HHmmss}")));
        string threads = BenchArgs.String(args, "--threads", "1");   // the trainer's torch threads, the same in every session
        string student = Path.Combine(root, "student.json");
        Directory.CreateDirectory(root);
        await File.WriteAllTextAsync(student, """
            {"model_type": "gpt2", "vocab_size": 4096, "n_positions": 64, "n_embd": 32, "n_layer": 1, "n_head": 2,
             "resid_pdrop": 0.0, "embd_pdrop": 0.0, "attn_pdrop": 0.0}
            """);
        string[] options =
        [
            "--student", student, "--models", BenchArgs.String(args, "--models", "models"), "--data", BenchArgs.String(args, "--data", "data/austen"),
            "--steps", $"{steps}", "--batch-size", "4", "--seq-len", "64", "--eval-interval", "50", "--checkpoint-interval", "20",
            "--no-baseline", "--threads", threads,
        ];
        Console.WriteLine($"kill-resume: {steps} steps, {kills} SIGKILLs, trainer threads {threads}, runs in {root}");

        string whole = Path.Combine(root, "uninterrupted");
        var clock = Stopwatch.StartNew();
        await using (var session = TrainerSession.Start(["train", .. options, "--out", whole]))
            if (await session.WaitForExitAsync() != 0) return Failed(session);
        Console.WriteLine($"uninterrupted run: {clock.Elapsed.TotalSeconds:F0} s");

        string killed = Path.Combine(root, "killed");
        int outlived = 0;
        long killedAt = 0;
        clock.Restart();
        for (int kill = 0; kill <= kills; kill++)
        {
            string[] arguments = kill == 0 ? ["train", .. options, "--out", killed] : ["train", "--resume", killed, "--threads", threads];
            await using var session = TrainerSession.Start(arguments);
            if (kill == kills)
            {
                if (await session.WaitForExitAsync() != 0) return Failed(session);
                break;
            }
            // Past the last step logged before (so this session's own record), then a random moment of a step, an evaluation or a checkpoint.
            long target = killedAt + random.Next(5, steps / (kills + 1));
            int delay = random.Next(0, 1000);
            if (!await session.WaitForStepAsync(killed, target)) return Failed(session);
            await Task.Delay(delay);
            int[] servers = session.TeacherServers();
            session.KillNow();
            bool ended = servers.Length > 0 && await AllEndAsync(servers);
            if (!ended) outlived++;
            killedAt = LastLoggedStep(killed);
            Console.WriteLine($"kill {kill + 1}: {delay} ms after step {target} was logged (last logged {killedAt}); "
                              + $"TeacherServer {(servers.Length == 0 ? "not found" : ended ? "ended" : "still running")}; resumes from step {ResumeStep(killed)}");
        }
        Console.WriteLine($"killed and resumed run: {clock.Elapsed.TotalSeconds:F0} s");
        return Compare(Losses(whole), Losses(killed), outlived) ? 0 : 1;
    }

    private static bool Compare(IReadOnlyList<(long Step, double Loss)> whole, IReadOnlyList<(long Step, double Loss)> resumed, int outlived)
    {
        bool sameSteps = whole.Select(l => l.Step).SequenceEqual(resumed.Select(l => l.Step));
        int differing = whole.Zip(resumed).Count(p => p.First.Loss != p.Second.Loss);
        double largest = whole.Zip(resumed).Select(p => Math.Abs(p.First.Loss - p.Second.Loss)).DefaultIfEmpty().Max();
        Console.WriteLine($"logged losses: {whole.Count} uninterrupted, {resumed.Count} killed and resumed, steps {(sameSteps ? "the same, each once" : "DIFFERENT")}");
        Console.WriteLine($"losses different: {differing} of {whole.Count} (largest difference {largest.ToString("G3", System.Globalization.CultureInfo.InvariantCulture)})");
        Console.WriteLine($"TeacherServers that outlived their trainer: {outlived}");
        return sameSteps && differing == 0 && outlived == 0;
    }

    private static IReadOnlyList<(long, double)> Losses(string run) =>
        [.. MetricsLog.ReadAll(run).Where(r => r.Kind == MetricsRecord.Train).Select(r => (r.Step, r.Get(MetricNames.Loss) ?? double.NaN))];

    private static long LastLoggedStep(string run) =>
        MetricsLog.ReadAll(run).Where(r => r.Kind == MetricsRecord.Train).Select(r => r.Step).DefaultIfEmpty().Max();

    private static string ResumeStep(string run)
    {
        try { return $"{Distill.StudentTrainer.Distillation.TrainingCheckpoint.ReadStep(Distill.StudentTrainer.Distillation.TrainingCheckpoint.Locate(run))}"; }
        catch (FileNotFoundException) { return "0 (no checkpoint yet)"; }
    }

    private static async Task<bool> AllEndAsync(int[] servers)
    {
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var ticks = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        while (!servers.All(TrainerSession.HasEnded))
        {
            try { await ticks.WaitForNextTickAsync(guard.Token); }
            catch (OperationCanceledException) { return servers.All(TrainerSession.HasEnded); }
        }
        return true;
    }

    private static int Failed(TrainerSession session)
    {
        Console.Error.WriteLine($"error: a trainer session failed; its output:{Environment.NewLine}{session.Output}");
        return 1;
    }
}
