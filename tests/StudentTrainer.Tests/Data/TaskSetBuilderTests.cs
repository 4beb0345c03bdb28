using Distill.StudentTrainer.Data;

namespace Distill.StudentTrainer.Tests.Data;

public class TaskSetBuilderTests
{
    private const int Separator = -1;

    // Ids count up, with a separator every 50 tokens, so a passage's ids say where it was cut from.
    private static TokenStream Counting(int first, int count) =>
        new(Enumerable.Range(first, count).Select(i => i % 50 == 49 ? Separator : i).ToArray());

    private static readonly TaskSetOptions Options = new() { PromptTokens = 6, ResponseTokens = 4, Seed = 7, SeparatorId = Separator };

    [Fact]
    public void A_seed_always_picks_the_same_passages_and_another_seed_others()
    {
        TokenStream stream = Counting(0, 2000);
        int[] Starts(int seed) => TaskSetBuilder.Pick(stream, 20, Options with { Seed = seed }).Select(p => p.Start).ToArray();

        Assert.Equal(Starts(7), Starts(7));
        Assert.NotEqual(Starts(7), Starts(8));
    }

    [Fact]
    public void Passages_are_the_true_continuation_never_overlap_and_never_hold_the_separator()
    {
        TokenStream stream = Counting(0, 2000);
        IReadOnlyList<TaskPassage> passages = TaskSetBuilder.Pick(stream, 150, Options);

        Assert.Equal(150, passages.Count);
        foreach (TaskPassage p in passages)
        {
            Assert.Equal(stream.Read(p.Start, 10), p.Prompt.Concat(p.Response).ToArray());
            Assert.Equal(6, p.Prompt.Length);
            Assert.DoesNotContain(Separator, p.Prompt.Concat(p.Response));
        }
        TaskPassage[] sorted = [.. passages.OrderBy(p => p.Start)];
        for (int i = 1; i < sorted.Length; i++)
            Assert.True(sorted[i - 1].End <= sorted[i].Start, $"passages at {sorted[i - 1].Start} and {sorted[i].Start} overlap");
    }

    [Fact]
    public void When_too_few_passages_fit_all_that_fit_are_taken()
    {
        // 200 tokens hold 20 slots of 10 from offset 0, else 19; the 4 (else 3) holding a separator (at 49, 99, 149, 199) go.
        TokenStream stream = Counting(0, 200);
        IReadOnlyList<TaskPassage> passages = TaskSetBuilder.Pick(stream, 1000, Options);

        Assert.Equal(16, passages.Count);
        Assert.Equal(passages.Count, passages.Select(p => p.Start).Distinct().Count());
    }
}
