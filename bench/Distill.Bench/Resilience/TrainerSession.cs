using System.Diagnostics;
using System.Text;
using Distill.StudentTrainer.Evaluation;

namespace Distill.Bench.Resilience;

/// <summary>One StudentTrainer process of the kill-resume bench: started from this bench's output folder, its output kept.</summary>
internal sealed class TrainerSession : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private TrainerSession(Process process) => _process = process;

    public static TrainerSession Start(string[] arguments)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Distill.StudentTrainer.dll"));
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        var session = new TrainerSession(Process.Start(start)!);
        session._process.OutputDataReceived += (_, e) => session.Keep(e.Data);
        session._process.ErrorDataReceived += (_, e) => session.Keep(e.Data);
        session._process.BeginOutputReadLine();
        session._process.BeginErrorReadLine();
        return session;
    }

    public string Output { get { lock (_output) return _output.ToString(); } }

    public bool HasExited => _process.HasExited;

    public async Task<int> WaitForExitAsync()
    {
        await _process.WaitForExitAsync();
        return _process.ExitCode;
    }

    /// <summary>Waits until the run logs a train record at <paramref name="step"/> or later; false when the process exits first.</summary>
    public async Task<bool> WaitForStepAsync(string run, long step)
    {
        using var ticks = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        while (!_process.HasExited)
        {
            if (File.Exists(MetricsLog.PathIn(run)) && MetricsLog.ReadAll(run).Any(r => r.Kind == MetricsRecord.Train && r.Step >= step)) return true;
            await ticks.WaitForNextTickAsync();
        }
        return false;
    }

    /// <summary>The TeacherServers this trainer started (their command line names it as their parent).</summary>
    public int[] TeacherServers() =>
    [
        .. Directory.GetDirectories("/proc").Select(Path.GetFileName).Where(name => name!.All(char.IsAsciiDigit)).Select(int.Parse!)
            .Where(id => !HasEnded(id) && CommandLine(id) is var line && line.Contains("Distill.TeacherServer.dll") && line.Contains($"--parent-pid {_process.Id} ")),
    ];

    /// <summary>SIGKILL: nothing of the trainer runs after it.</summary>
    public void KillNow() => _process.Kill();

    /// <summary>Gone from /proc, or a zombie not reaped yet.</summary>
    public static bool HasEnded(int id)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{id}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] is 'Z' or 'X';
        }
        catch (IOException) { return true; }
    }

    private static string CommandLine(int id)
    {
        try { return File.ReadAllText($"/proc/{id}/cmdline").Replace('\0', ' ') + " "; }
        catch (IOException) { return ""; }
    }

    private void Keep(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
