using System.Text.Json;
using Distill.StudentTrainer.Schemes;

namespace Distill.StudentTrainer.Tests.Schemes;

public class ReplayBufferTests
{
    [Fact]
    public void Pushing_into_a_full_buffer_evicts_the_oldest_samples_first()
    {
        var buffer = new ReplayBuffer<int>(capacity: 3);
        buffer.Push([1, 2]);
        Assert.False(buffer.IsFull);
        Assert.Equal([1, 2], buffer.Snapshot());

        buffer.Push([3]);
        Assert.True(buffer.IsFull);
        buffer.Push([4, 5]);
        Assert.Equal(3, buffer.Count);
        Assert.Equal([3, 4, 5], buffer.Snapshot());

        buffer.Push([6, 7, 8, 9]);
        Assert.Equal([7, 8, 9], buffer.Snapshot());
    }

    [Fact]
    public void The_default_capacity_is_distillms()
    {
        var buffer = new ReplayBuffer<int>();
        Assert.Equal(1000, buffer.Capacity);
        buffer.Push(Enumerable.Range(0, 999));
        Assert.False(buffer.IsFull);
        buffer.Push([999, 1000]);
        Assert.True(buffer.IsFull);
        Assert.Equal(1, buffer.Snapshot()[0]);
    }

    [Fact]
    public void A_draw_holds_distinct_samples_and_leaves_the_buffer_unchanged()
    {
        var buffer = new ReplayBuffer<int>(capacity: 10);
        buffer.Push(Enumerable.Range(0, 14));                       // wrapped: holds 4 … 13
        IReadOnlyList<int> before = buffer.Snapshot();
        var rng = new Random(3);
        for (int i = 0; i < 200; i++)
        {
            IReadOnlyList<int> drawn = buffer.Sample(4, rng);
            Assert.Equal(4, drawn.Distinct().Count());
            Assert.All(drawn, x => Assert.InRange(x, 4, 13));
        }
        Assert.Equal(Enumerable.Range(4, 10), buffer.Sample(10, rng).Order());
        Assert.Equal(before, buffer.Snapshot());
    }

    [Fact]
    public void Every_sample_is_drawn_equally_often()
    {
        var buffer = new ReplayBuffer<int>(capacity: 10);
        buffer.Push(Enumerable.Range(0, 23));                       // wrapped twice
        var counts = new int[23];
        var rng = new Random(5);
        const int draws = 6000;
        for (int i = 0; i < draws; i++)
            foreach (int x in buffer.Sample(3, rng)) counts[x]++;
        double expected = draws * 3 / 10.0;                         // 1800, σ ≈ 35
        Assert.All(counts[13..], c => Assert.InRange(c, expected - 150, expected + 150));
        Assert.All(counts[..13], c => Assert.Equal(0, c));
    }

    [Fact]
    public void The_same_seed_draws_the_same_batches()
    {
        var buffer = new ReplayBuffer<int>(capacity: 50);
        buffer.Push(Enumerable.Range(0, 50));
        var first = new Random(11);
        var second = new Random(11);
        for (int i = 0; i < 5; i++) Assert.Equal(buffer.Sample(8, first), buffer.Sample(8, second));
        Assert.NotEqual(buffer.Sample(8, new Random(11)), buffer.Sample(8, new Random(12)));
    }

    [Fact]
    public void A_restored_snapshot_behaves_like_the_original()
    {
        var original = new ReplayBuffer<int[]>(capacity: 5);
        original.Push(Enumerable.Range(0, 7).Select(i => new[] { i, 10 * i }));
        string saved = JsonSerializer.Serialize(original.Snapshot());

        var restored = new ReplayBuffer<int[]>(5, JsonSerializer.Deserialize<int[][]>(saved)!);
        Assert.Equal(original.Count, restored.Count);
        Assert.True(restored.IsFull);
        original.Push([[7, 70]]);
        restored.Push([[7, 70]]);
        Assert.Equal(original.Snapshot(), restored.Snapshot());
        Assert.Equal(original.Sample(3, new Random(9)), restored.Sample(3, new Random(9)));
        Assert.Equal([3, 30], restored.Snapshot()[0]);
    }

    [Fact]
    public void Bad_arguments_are_refused()
    {
        var buffer = new ReplayBuffer<int>(capacity: 4);
        buffer.Push([1, 2]);
        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.Sample(3, new Random(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.Sample(-1, new Random(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReplayBuffer<int>(0));
        Assert.Throws<ArgumentException>(() => new ReplayBuffer<int>(2, [1, 2, 3]));
        Assert.Empty(buffer.Sample(0, new Random(1)));
    }
}
