using System.Diagnostics;

namespace Distill.Bench.Training;

/// <summary>Pins every thread of a process (and the threads it starts later) to one CPU core, with taskset.</summary>
public static class CoreAffinity
{
    public static void PinProcess(int processId, int core)
    {
        var start = new ProcessStartInfo("taskset") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in new[] { "-a", "-cp", core.ToString(), processId.ToString() }) start.ArgumentList.Add(argument);
        using Process process = Process.Start(start) ?? throw new InvalidOperationException("taskset could not be started");
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"taskset failed: {process.StandardError.ReadToEnd().Trim()}");
    }
}
