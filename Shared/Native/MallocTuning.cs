using System.Collections;
using System.Reflection;
using System.Runtime.InteropServices;

namespace Distill.Shared.Native;

/// <summary>What <see cref="MallocTuning.Apply"/> did.</summary>
public enum MallocTuningOutcome
{
    /// <summary>The settings were in glibc's environment when the process started: every thread's allocations follow them.</summary>
    Applied,
    /// <summary>Only set in-process with mallopt (the process could not be restarted, or is hosted by another): arenas made before that keep glibc's defaults.</summary>
    AppliedInProcess,
    /// <summary>The user set glibc's malloc options (MALLOC_* or GLIBC_TUNABLES), or DISTILL_MALLOC_TUNING=off: left as they are.</summary>
    LeftToUser,
    /// <summary>Not Linux with glibc (musl, macOS, Windows): nothing to tune.</summary>
    NotGlibc,
    /// <summary>glibc refused a value.</summary>
    Refused,
}

/// <summary>
/// Keeps freed tensor memory in the process instead of handing it back to the kernel.
/// With glibc's defaults every block above the mmap threshold (32 MiB at most) is mapped on allocation and unmapped on
/// free, and each thread that allocates gets an arena of its own whose heaps cannot hold blocks above 64 MiB, so those
/// are mapped too. A training step whose logits take 16 × 256 × 4,096 floats (64 MiB) then refaults every page of
/// every such block, every step: measured here, 78,000 page faults a second and nearly a third of the trainer's CPU
/// time in the kernel.
/// One arena, no mmap, trim only above 1 GiB free and grow the heap by 512 MiB fixes that (2,900 faults a second;
/// 40 steps of the default train job went from 1,446 to 2,658 tokens/s, and <c>bench malloc-tuning</c> measures it).
/// glibc reads the arena count only from the environment at start, so the process restarts itself once (execve: the
/// same pid, arguments, streams and signal handling) with the settings in its environment.
/// The price is that the process keeps its peak heap until it exits, like a GPU caching allocator does.
/// Only the trainer and the bench use it: TeacherServer's ONNX Runtime allocates from its own arena and measured no
/// gain, so the processes they start get glibc's defaults back (<see cref="ForgetSettings"/>).
/// </summary>
public static class MallocTuning
{
    /// <summary>off: leave glibc's defaults. Set to <see cref="AppliedMarker"/> by the restart.</summary>
    public const string SwitchVariable = "DISTILL_MALLOC_TUNING";
    public const string AppliedMarker = "applied";

    /// <summary>glibc's environment variables and their values (glibc's malloc tunables; manual "Memory Allocation Tunables").</summary>
    public static readonly IReadOnlyList<(string Name, string Value)> Settings =
    [
        ("MALLOC_ARENA_MAX", "1"),
        ("MALLOC_MMAP_MAX_", "0"),
        ("MALLOC_TRIM_THRESHOLD_", (1L << 30).ToString()),
        ("MALLOC_TOP_PAD_", (512L << 20).ToString()),
    ];

    // mallopt parameter numbers from glibc's malloc.h, for the in-process fallback.
    public const int TrimThresholdParameter = -1;
    public const int TopPadParameter = -2;
    public const int MmapMaxParameter = -4;

    private static readonly string[] UserVariables =
        ["MALLOC_ARENA_MAX", "MALLOC_ARENA_TEST", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "MALLOC_MMAP_MAX_"];

    /// <summary>What the process's tuning is; set by <see cref="Apply"/>.</summary>
    public static MallocTuningOutcome Outcome { get; private set; } = MallocTuningOutcome.LeftToUser;

    /// <summary>What to do, given the environment.</summary>
    public enum Decision { Restart, AlreadyApplied, LeaveAlone }

    /// <summary>
    /// Call first in Main. When <paramref name="program"/> is the process's entry assembly and the settings are not yet
    /// in force, the process is restarted with them and this call does not return; when another program hosts it
    /// (a test host), they are set in-process instead.
    /// </summary>
    public static MallocTuningOutcome Apply(Assembly program)
    {
        Outcome = ApplyOnce(Assembly.GetEntryAssembly() == program);
        return Outcome;
    }

    private static MallocTuningOutcome ApplyOnce(bool ownProcess)
    {
        if (!OperatingSystem.IsLinux())
        {
            return MallocTuningOutcome.NotGlibc;
        }
        try
        {
            _ = gnu_get_libc_version();
            switch (Decide(Environment.GetEnvironmentVariable))
            {
                case Decision.AlreadyApplied:
                    return MallocTuningOutcome.Applied;
                case Decision.LeaveAlone:
                    return MallocTuningOutcome.LeftToUser;
            }
            if (ownProcess)
            {
                RestartWithSettings();
            }
            return SetInProcess(SetOption);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return MallocTuningOutcome.NotGlibc;
        }
    }

    /// <summary>Leave alone when the user chose; already applied when the restart put the settings there.</summary>
    public static Decision Decide(Func<string, string?> environment)
    {
        string? choice = environment(SwitchVariable);
        if (string.Equals(choice, "off", StringComparison.OrdinalIgnoreCase))
        {
            return Decision.LeaveAlone;
        }
        if (choice == AppliedMarker && Settings.All(s => environment(s.Name) == s.Value))
        {
            return Decision.AlreadyApplied;
        }
        if (UserVariables.Any(name => environment(name) is not null)
            || (environment("GLIBC_TUNABLES") ?? "").Contains("glibc.malloc.", StringComparison.Ordinal))
        {
            return Decision.LeaveAlone;
        }
        return Decision.Restart;
    }

    /// <summary>The environment of the restarted process: this one's, plus the settings and the marker.</summary>
    public static string[] TunedEnvironment(IDictionary current)
    {
        var variables = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in current)
        {
            variables[(string)entry.Key] = (string?)entry.Value ?? "";
        }
        foreach ((string name, string value) in Settings)
        {
            variables[name] = value;
        }
        variables[SwitchVariable] = AppliedMarker;
        return variables.Select(v => $"{v.Key}={v.Value}").ToArray();
    }

    /// <summary>
    /// Removes the settings and the marker from a child process's environment, so that it starts with glibc's defaults
    /// and decides for itself (an explicit DISTILL_MALLOC_TUNING=off is kept).
    /// </summary>
    public static void ForgetSettings(IDictionary<string, string?> environment)
    {
        if (environment.TryGetValue(SwitchVariable, out string? choice) && choice == AppliedMarker)
        {
            foreach ((string name, _) in Settings)
            {
                environment.Remove(name);
            }
            environment.Remove(SwitchVariable);
        }
    }

    /// <summary>The fallback: mallopt for what it can still change (no mmap, trim and top pad; not the arena count).</summary>
    public static MallocTuningOutcome SetInProcess(Func<int, int, int> setOption)
    {
        bool accepted = setOption(MmapMaxParameter, 0) == 1;
        accepted &= setOption(TrimThresholdParameter, 1 << 30) == 1;
        accepted &= setOption(TopPadParameter, 512 << 20) == 1;
        return accepted ? MallocTuningOutcome.AppliedInProcess : MallocTuningOutcome.Refused;
    }

    /// <summary>glibc's mallopt: 1 when the value was taken, 0 when refused.</summary>
    public static int SetOption(int parameter, int value) => mallopt(parameter, value);

    /// <summary>execve of this process's own image and arguments; returns only when execve failed.</summary>
    private static void RestartWithSettings()
    {
        string[] arguments;
        try
        {
            arguments = File.ReadAllText("/proc/self/cmdline").Split('\0');
        }
        catch (IOException)
        {
            return;
        }
        if (arguments.Length > 0 && arguments[^1].Length == 0)
        {
            arguments = arguments[..^1];
        }
        if (arguments.Length == 0)
        {
            return;
        }
        execve("/proc/self/exe", [.. arguments, null], [.. TunedEnvironment(Environment.GetEnvironmentVariables()), null]);
    }

#pragma warning disable SYSLIB1054 // plain libc calls; LibraryImport's generator buys nothing here
    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int mallopt(int parameter, int value);

    [DllImport("libc", EntryPoint = "gnu_get_libc_version")]
    private static extern IntPtr gnu_get_libc_version();

    [DllImport("libc", EntryPoint = "execve", SetLastError = true)]
    private static extern int execve(string path, string?[] argv, string?[] envp);
#pragma warning restore SYSLIB1054
}
