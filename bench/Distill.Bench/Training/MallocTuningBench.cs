using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using Distill.Shared.Native;

namespace Distill.Bench.Training;

/// <summary>
/// training-speed with glibc's default malloc and with the project's tuning, in alternating child processes of
/// this bench (the setting holds for a whole process), and the ratio of their tokens/s.
/// </summary>
public static class MallocTuningBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        int rounds = BenchArgs.Int(args, "--rounds", 2);
        var rates = new Dictionary<(bool Tuned, string Configuration), List<double>>();
        for (int round = 1; round <= rounds; round++)
        {
            foreach (bool tuned in new[] { false, true })
            {
                var clock = Stopwatch.StartNew();
                IReadOnlyList<(string Configuration, double TokensPerSecond)>? lines = await TrainingSpeedAsync(tuned);
                if (lines is null) return 1;
                Console.WriteLine($"round {round}, malloc {(tuned ? "tuned" : "default")}: {clock.Elapsed.TotalSeconds:F0} s, "
                                  + string.Join(", ", lines.Select(l => $"{l.Configuration} {l.TokensPerSecond:N0} tok/s")));
                foreach ((string configuration, double rate) in lines)
                {
                    (rates.TryGetValue((tuned, configuration), out var list) ? list : rates[(tuned, configuration)] = []).Add(rate);
                }
            }
        }
        Console.WriteLine();
        Console.WriteLine($"{"configuration",-22} {"default tok/s",14} {"tuned tok/s",12} {"tuned/default",14}");
        foreach (string configuration in rates.Keys.Where(k => !k.Tuned).Select(k => k.Configuration))
        {
            double plain = rates[(false, configuration)].Average();
            double tuned = rates[(true, configuration)].Average();
            Console.WriteLine($"{configuration,-22} {plain,14:N0} {tuned,12:N0} {tuned / plain,13:F2}×");
        }
        return 0;
    }

    private static async Task<IReadOnlyList<(string, double)>?> TrainingSpeedAsync(bool tuned)
    {
        string host = Environment.ProcessPath ?? "dotnet";
        var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
        {
            start.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        }
        start.ArgumentList.Add("training-speed");
        // This bench's own process runs tuned; the children start from glibc's defaults and tune themselves or not.
        foreach ((string name, _) in MallocTuning.Settings) start.Environment.Remove(name);
        start.Environment[MallocTuning.SwitchVariable] = tuned ? "on" : "off";
        using Process process = Process.Start(start)!;
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            Console.Error.WriteLine($"error: training-speed exited with {process.ExitCode}: {(await error).Trim()}");
            return null;
        }
        string expected = $"malloc tuning: {(tuned ? "Applied" : "LeftToUser")}";
        if (!output.Contains(expected, StringComparison.Ordinal))
        {
            Console.Error.WriteLine($"error: the child process did not report \"{expected}\" (are MALLOC_* variables set in this shell?)");
            return null;
        }
        // rows: configuration, parameters, dropout, tokens/s, s/step, GFLOP/s, of peak
        return output.Split('\n')
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(cells => cells.Length == 7 && cells[0] is "student" or "teacher")
            .Select(cells => ($"{cells[0]} dropout {cells[2]}",
                double.Parse(cells[3], NumberStyles.AllowThousands, CultureInfo.InvariantCulture)))
            .ToList();
    }
}
