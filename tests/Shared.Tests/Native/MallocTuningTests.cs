using System.Collections;
using Distill.Shared.Native;
using Xunit;

namespace Distill.Shared.Tests.Native;

public class MallocTuningTests
{
    private sealed class RecordingMallopt(int answer)
    {
        public List<(int Parameter, int Value)> Calls { get; } = [];

        public int Set(int parameter, int value)
        {
            Calls.Add((parameter, value));
            return answer;
        }
    }

    private static Func<string, string?> Environment(params (string Name, string Value)[] variables) =>
        name => variables.FirstOrDefault(v => v.Name == name).Value;

    private static readonly (string, string)[] Tuned =
    [
        ("MALLOC_ARENA_MAX", "1"), ("MALLOC_MMAP_MAX_", "0"), ("MALLOC_TRIM_THRESHOLD_", "1073741824"),
        ("MALLOC_TOP_PAD_", "536870912"), ("DISTILL_MALLOC_TUNING", "applied"),
    ];

    [Fact]
    public void With_nothing_set_by_the_user_the_process_restarts_with_the_settings()
    {
        Assert.Equal(MallocTuning.Decision.Restart, MallocTuning.Decide(Environment()));
        Assert.Equal(MallocTuning.Decision.Restart, MallocTuning.Decide(Environment(("DISTILL_MALLOC_TUNING", "on"))));
    }

    [Fact]
    public void The_restarted_process_finds_the_settings_applied_and_does_not_restart_again()
    {
        Assert.Equal(MallocTuning.Decision.AlreadyApplied, MallocTuning.Decide(Environment(Tuned)));
    }

    [Fact]
    public void The_marker_without_the_settings_is_not_taken_for_applied()
    {
        Assert.Equal(MallocTuning.Decision.Restart, MallocTuning.Decide(Environment(("DISTILL_MALLOC_TUNING", "applied"))));
        Assert.Equal(MallocTuning.Decision.LeaveAlone,
            MallocTuning.Decide(Environment([.. Tuned.Where(t => t.Item1 != "MALLOC_TOP_PAD_"), ("MALLOC_TOP_PAD_", "0")])));
    }

    [Theory]
    [InlineData("MALLOC_ARENA_MAX", "4")]
    [InlineData("MALLOC_MMAP_THRESHOLD_", "131072")]
    [InlineData("MALLOC_TRIM_THRESHOLD_", "0")]
    [InlineData("MALLOC_TOP_PAD_", "0")]
    [InlineData("MALLOC_MMAP_MAX_", "0")]
    [InlineData("GLIBC_TUNABLES", "glibc.malloc.trim_threshold=0")]
    [InlineData("DISTILL_MALLOC_TUNING", "OFF")]
    public void A_user_setting_of_malloc_is_left_alone(string name, string value)
    {
        Assert.Equal(MallocTuning.Decision.LeaveAlone, MallocTuning.Decide(Environment((name, value))));
    }

    [Fact]
    public void Tunables_of_other_glibc_parts_do_not_stop_it()
    {
        Assert.Equal(MallocTuning.Decision.Restart, MallocTuning.Decide(Environment(("GLIBC_TUNABLES", "glibc.pthread.rseq=0"))));
    }

    [Fact]
    public void The_restart_environment_keeps_the_current_variables_and_adds_the_settings_and_the_marker()
    {
        var current = new Hashtable { ["PATH"] = "/usr/bin", ["DISTILL_MALLOC_TUNING"] = "on", ["EMPTY"] = "" };

        string[] environment = MallocTuning.TunedEnvironment(current);

        Assert.Equal(
            ["DISTILL_MALLOC_TUNING=applied", "EMPTY=", "MALLOC_ARENA_MAX=1", "MALLOC_MMAP_MAX_=0", "MALLOC_TOP_PAD_=536870912",
             "MALLOC_TRIM_THRESHOLD_=1073741824", "PATH=/usr/bin"],
            environment);
        Assert.Equal(MallocTuning.Decision.AlreadyApplied,
            MallocTuning.Decide(name => environment.FirstOrDefault(e => e.StartsWith(name + "=", StringComparison.Ordinal))?[(name.Length + 1)..]));
    }

    [Fact]
    public void A_child_process_of_a_tuned_one_starts_from_glibcs_defaults_and_an_explicit_off_is_kept()
    {
        var tuned = Tuned.ToDictionary(t => t.Item1, string? (t) => t.Item2);
        tuned["PATH"] = "/usr/bin";
        MallocTuning.ForgetSettings(tuned);
        Assert.Equal(["PATH"], tuned.Keys);

        var off = new Dictionary<string, string?> { ["DISTILL_MALLOC_TUNING"] = "off", ["MALLOC_ARENA_MAX"] = "2" };
        MallocTuning.ForgetSettings(off);
        Assert.Equal(2, off.Count);
    }

    [Fact]
    public void In_process_it_turns_mmap_off_and_sets_the_trim_threshold_and_the_top_pad()
    {
        var mallopt = new RecordingMallopt(answer: 1);

        Assert.Equal(MallocTuningOutcome.AppliedInProcess, MallocTuning.SetInProcess(mallopt.Set));
        Assert.Equal([(-4, 0), (-1, 1 << 30), (-2, 512 << 20)], mallopt.Calls);
    }

    [Fact]
    public void A_value_glibc_refuses_is_reported()
    {
        Assert.Equal(MallocTuningOutcome.Refused, MallocTuning.SetInProcess(new RecordingMallopt(answer: 0).Set));
    }

    [Fact]
    public void Hosted_by_another_program_it_does_not_restart_the_host_and_sets_what_it_can_in_process()
    {
        Assert.Equal(MallocTuningOutcome.AppliedInProcess, MallocTuning.Apply(typeof(MallocTuning).Assembly));
    }
}
