using Distill.TeacherServer.Batching;

namespace Distill.TeacherServer.Tests;

/// <summary>The true rank of a next token: 1 + the entries with a larger log-prob, counted in vector blocks and the tail.</summary>
public sealed class NextTokenRanksTests
{
    [Theory]
    [InlineData(7)]
    [InlineData(37)]
    [InlineData(1000)]
    public void Counts_the_larger_values_of_vector_blocks_and_the_tail(int length)
    {
        var random = new Random(length);
        var values = Enumerable.Range(0, length).Select(_ => (float)Math.Round(random.NextDouble() * 10, 1)).ToArray();
        values[length / 2] = float.NaN;
        foreach (var value in values.Where(v => !float.IsNaN(v)).Take(20))
        {
            Assert.Equal(values.Count(v => v > value), NextTokenRanks.CountLarger(values, value));
        }
    }

    [Fact]
    public void Ranks_each_position_in_its_own_row_and_gives_0_without_a_next_token()
    {
        float[] block = [0f, -1f, -2f, -3f, /* position 1 */ -3f, -2f, -1f, 0f];
        var ranks = NextTokenRanks.Of(block, 4, 0, [-2f, float.NaN]);
        Assert.Equal(new[] { 3, 0 }, ranks);
        Assert.Equal(new[] { 4 }, NextTokenRanks.Of(block, 4, 1, [-2.5f]));
    }
}
