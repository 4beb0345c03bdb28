using Distill.TeacherServer.Selection;

namespace Distill.TeacherServer.Tests;

/// <summary>The selection must equal sorting every value: descending, equal values by ascending id, NaN last.</summary>
public sealed class TopKSelectorTests
{
    private static (int[] Ids, float[] Values) Reference(float[] values, int k)
    {
        var order = Enumerable.Range(0, values.Length)
            .OrderBy(i => float.IsNaN(values[i]) ? 1 : 0)
            .ThenByDescending(i => float.IsNaN(values[i]) ? 0f : values[i])
            .ThenBy(i => i)
            .Take(k)
            .ToArray();
        return (order, order.Select(i => values[i]).ToArray());
    }

    private static void AssertSelects(float[] values, int k)
    {
        var ids = new int[k];
        var selected = new float[k];
        TopKSelector.Select(values, ids, selected);
        var (expectedIds, expectedValues) = Reference(values, k);
        Assert.Equal(expectedIds, ids);
        Assert.Equal(expectedValues, selected);
    }

    /// <summary>Log-probs of logits drawn from N(0, spread²), the shape a teacher's rows have.</summary>
    private static float[] LogSoftmaxRow(Random random, int vocab, double spread)
    {
        var logits = Enumerable.Range(0, vocab).Select(_ => spread * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble())).ToArray();
        var max = logits.Max();
        var log = Math.Log(logits.Sum(l => Math.Exp(l - max))) + max;
        return logits.Select(l => (float)(l - log)).ToArray();
    }

    [Theory]
    [InlineData(4096, 256)]
    [InlineData(4096, 64)]
    [InlineData(4096, 1)]
    [InlineData(4096, 511)]
    [InlineData(4096, 4096)]
    [InlineData(50257, 20)]
    [InlineData(300, 7)]
    [InlineData(40, 5)]
    [InlineData(40, 40)]
    [InlineData(4096, 2)]
    [InlineData(1, 1)]
    public void Selects_the_largest_of_teacher_like_rows(int vocab, int k)
    {
        var random = new Random(vocab + k);
        foreach (var spread in new[] { 0.5, 3.0, 12.0 })
        {
            AssertSelects(LogSoftmaxRow(random, vocab, spread), k);
        }
    }

    [Theory]
    [InlineData(256)]
    [InlineData(1000)]
    public void Equal_values_come_in_ascending_id_order(int k)
    {
        var random = new Random(3);
        // Eight distinct values over 4,096 ids: every boundary falls inside a run of ties.
        var values = Enumerable.Range(0, 4096).Select(_ => -(float)random.Next(8)).ToArray();
        AssertSelects(values, k);
    }

    [Fact]
    public void Negative_infinity_is_selected_after_every_finite_value_and_NaN_after_it()
    {
        var random = new Random(5);
        var values = LogSoftmaxRow(random, 4096, 3.0);
        for (var i = 0; i < values.Length; i += 3)
        {
            values[i] = float.NegativeInfinity;
        }
        for (var i = 1; i < values.Length; i += 5)
        {
            values[i] = float.NaN;
        }
        AssertSelects(values, 256);
        AssertSelects(values, 3000);
        AssertSelects(values, 4096);
    }

    [Fact]
    public void A_row_whose_sample_misses_the_head_still_finds_it()
    {
        // The strided sample sees only −∞: the threshold search must fall back to every value.
        var values = Enumerable.Repeat(float.NegativeInfinity, 4096).ToArray();
        for (var i = 1; i < 4096; i += 32)
        {
            values[i] = -i / 1000f;
        }
        AssertSelects(values, 100);
        AssertSelects(values, 200);
    }

    [Fact]
    public void Positive_and_negative_zero_tie()
    {
        float[] values = [-1f, 0f, -0f, -2f, -0f, 0f];
        AssertSelects(values, 4);
        var ids = new int[3];
        TopKSelector.Select(values, ids, new float[3]);
        Assert.Equal([1, 2, 4], ids);
    }

    [Fact]
    public void A_k_larger_than_the_row_or_mismatched_outputs_are_refused()
    {
        Assert.Throws<ArgumentException>(() => TopKSelector.Select(new float[4], new int[5], new float[5]));
        Assert.Throws<ArgumentException>(() => TopKSelector.Select(new float[4], new int[2], new float[3]));
    }

    [Fact]
    public void Consecutive_positions_of_a_block_are_each_selected_into_their_own_slot()
    {
        const int vocab = 512, positions = 6, k = 5;
        var random = new Random(17);
        var block = Enumerable.Range(0, positions).SelectMany(_ => LogSoftmaxRow(random, vocab, 3)).ToArray();
        var ids = new int[3 * k];
        var selected = new float[3 * k];
        TopKSelector.SelectPositions(block, vocab, first: 2, count: 3, k, ids, selected);
        for (var i = 0; i < 3; i++)
        {
            var (expectedIds, expectedValues) = Reference(block[((2 + i) * vocab)..((3 + i) * vocab)], k);
            Assert.Equal(expectedIds, ids[(i * k)..((i + 1) * k)]);
            Assert.Equal(expectedValues, selected[(i * k)..((i + 1) * k)]);
        }
    }

    [Fact]
    public void Positions_past_the_block_or_outputs_of_the_wrong_size_are_refused()
    {
        var block = new float[4 * 8];
        Assert.Throws<ArgumentException>(() => TopKSelector.SelectPositions(block, 8, first: 2, count: 3, k: 2, new int[6], new float[6]));
        Assert.Throws<ArgumentException>(() => TopKSelector.SelectPositions(block, 8, first: -1, count: 1, k: 2, new int[2], new float[2]));
        Assert.Throws<ArgumentException>(() => TopKSelector.SelectPositions(block, 8, first: 0, count: 2, k: 2, new int[4], new float[3]));
        Assert.Throws<ArgumentException>(() => TopKSelector.SelectPositions(block, 8, first: 0, count: 2, k: 2, new int[3], new float[3]));
    }
}
