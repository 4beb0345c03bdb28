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

    [Fact]
    public void With_nothing_set_by_the_user_it_sets_the_mmap_threshold_the_trim_threshold_and_the_top_pad()
    {
        var mallopt = new RecordingMallopt(answer: 1);

        MallocTuningOutcome outcome = MallocTuning.Apply(Environment(), mallopt.Set);

        Assert.Equal(MallocTuningOutcome.Applied, outcome);
        Assert.Equal(
            [(-3, 32 << 20), (-1, 1 << 30), (-2, 512 << 20)],
            mallopt.Calls);
    }

    [Theory]
    [InlineData("MALLOC_MMAP_THRESHOLD_", "131072")]
    [InlineData("MALLOC_TRIM_THRESHOLD_", "0")]
    [InlineData("MALLOC_TOP_PAD_", "0")]
    [InlineData("MALLOC_MMAP_MAX_", "0")]
    [InlineData("GLIBC_TUNABLES", "glibc.malloc.trim_threshold=0")]
    [InlineData("DISTILL_MALLOC_TUNING", "OFF")]
    public void A_user_setting_of_malloc_is_left_alone(string name, string value)
    {
        var mallopt = new RecordingMallopt(answer: 1);

        MallocTuningOutcome outcome = MallocTuning.Apply(Environment((name, value)), mallopt.Set);

        Assert.Equal(MallocTuningOutcome.LeftToUser, outcome);
        Assert.Empty(mallopt.Calls);
    }

    [Fact]
    public void Tunables_of_other_glibc_parts_do_not_stop_it()
    {
        var mallopt = new RecordingMallopt(answer: 1);

        Assert.Equal(MallocTuningOutcome.Applied,
            MallocTuning.Apply(Environment(("GLIBC_TUNABLES", "glibc.pthread.rseq=0")), mallopt.Set));
    }

    [Fact]
    public void A_value_glibc_refuses_is_reported()
    {
        var mallopt = new RecordingMallopt(answer: 0);

        Assert.Equal(MallocTuningOutcome.Refused, MallocTuning.Apply(Environment(), mallopt.Set));
    }

    [Fact]
    public void On_this_linux_machine_glibc_accepts_the_values()
    {
        Assert.Equal(MallocTuningOutcome.Applied, MallocTuning.Apply(_ => null, MallocTuning.SetOption));
    }
}
