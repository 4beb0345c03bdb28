using System.Diagnostics;
using Distill.StudentTrainer.Evaluation;

namespace Distill.StudentTrainer.Tests.Cli;

/// <summary>Runs the StudentTrainer CLI as its own process, as a user would.</summary>
internal static class TrainerProcess
{
    public static (int ExitCode, string Stdout, string Stderr) Run(params string[] arguments) => Run(null, arguments);

    /// <param name="whileRunning">Called with the process once it has started (e.g. to signal it).</param>
    public static (int ExitCode, string Stdout, string Stderr) Run(Action<Process>? whileRunning, params string[] arguments)
    {
        string trainer = Path.Combine(AppContext.BaseDirectory, "Distill.StudentTrainer.dll");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string argument in (string[])["exec", trainer, .. arguments]) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        whileRunning?.Invoke(process);
        if (!process.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("the StudentTrainer did not finish within 120 s");
        }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Sends SIGINT once the run in <paramref name="run"/> has logged its first training record.</summary>
    public static void SignalOnceTraining(Process process, string run)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline && !process.HasExited)
        {
            string metrics = Path.Combine(run, MetricsLog.FileName);
            if (File.Exists(metrics) && File.ReadAllText(metrics).Contains($"\"kind\":\"{MetricsRecord.Train}\"")) break;
            Thread.Sleep(50);
        }
        // A process started from a background job without job control inherits SIGINT ignored (POSIX shells do that),
        // and no handler can catch it then; the trainer treats SIGTERM the same way, so that is sent instead there.
        using var kill = Process.Start("kill", [IgnoresSigint(process.Id) ? "-TERM" : "-INT", process.Id.ToString()]);
        kill.WaitForExit();
    }

    /// <summary>Whether SIGINT (signal 2) is in the process's ignored-signal mask (/proc/pid/status, SigIgn).</summary>
    private static bool IgnoresSigint(int processId)
    {
        string? line = File.ReadLines($"/proc/{processId}/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        return line is not null && (Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16) & (1UL << 1)) != 0;
    }

    /// <summary>Asserts a failed run: exit code 1 and exactly one <c>error:</c> line on stderr.</summary>
    public static string AssertOneLineError((int ExitCode, string Stdout, string Stderr) run)
    {
        Assert.Equal(1, run.ExitCode);
        string line = Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith("error:", line);
        return line;
    }
}
