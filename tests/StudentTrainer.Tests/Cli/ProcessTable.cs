namespace Distill.StudentTrainer.Tests.Cli;

/// <summary>Processes as /proc lists them: children of a process, and whether one has ended.</summary>
internal static class ProcessTable
{
    /// <summary>Ids of the live processes whose parent is <paramref name="parent"/> and whose command line contains <paramref name="commandPart"/>.</summary>
    public static int[] ChildrenOf(int parent, string commandPart) =>
    [
        .. Directory.GetDirectories("/proc").Select(Path.GetFileName).Select(name => int.TryParse(name, out int id) ? id : 0)
            .Where(id => id > 0 && Stat(id) is { } stat && stat.Parent == parent && stat.State != 'Z' && CommandLine(id).Contains(commandPart)),
    ];

    /// <summary>Whether process <paramref name="id"/> has ended: gone from /proc, or a zombie nobody has reaped yet.</summary>
    public static bool HasEnded(int id) => Stat(id) is not { } stat || stat.State is 'Z' or 'X';

    /// <summary>Waits until process <paramref name="id"/> has ended; false when it has not within <paramref name="guard"/>.</summary>
    public static async Task<bool> WaitForEndAsync(int id, TimeSpan guard)
    {
        using var timeout = new CancellationTokenSource(guard);
        using var ticks = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        while (!HasEnded(id))
        {
            try { await ticks.WaitForNextTickAsync(timeout.Token); }
            catch (OperationCanceledException) { return HasEnded(id); }
        }
        return true;
    }

    private static (char State, int Parent)? Stat(int id)
    {
        try
        {
            // pid (comm) state ppid …; comm may hold spaces and parentheses, so fields are read after the last ')'.
            string text = File.ReadAllText($"/proc/{id}/stat");
            string[] fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            return (fields[0][0], int.Parse(fields[1]));
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    private static string CommandLine(int id)
    {
        try { return File.ReadAllText($"/proc/{id}/cmdline").Replace('\0', ' '); }
        catch (IOException) { return ""; }
    }
}
