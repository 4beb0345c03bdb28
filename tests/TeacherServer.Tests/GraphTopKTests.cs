using Distill.TeacherServer.Selection;

namespace Distill.TeacherServer.Tests;

/// <summary>The graph's top-k, whatever order a kernel leaves equal log-probs in, is read in <see cref="TopKSelector"/>'s order.</summary>
public sealed class GraphTopKTests
{
    /// <summary>Log-probs by id of a vocabulary of 10: ties at −2 (ids 2, 7, 9) and a NaN (id 4).</summary>
    private static readonly float[] Vocabulary = [-5f, -4f, -2f, -6f, float.NaN, -1f, -7f, -2f, -8f, -2f];

    private static (int[] Ids, float[] Logprobs) Host(int k)
    {
        var ids = new int[k];
        var logprobs = new float[k];
        TopKSelector.Select(Vocabulary, ids, logprobs);
        return (ids, logprobs);
    }

    private static (int[] Ids, float[] Logprobs) Copy(int[] graphIds, int k)
    {
        var values = graphIds.Select(id => Vocabulary[id]).ToArray();
        var ids = new int[k];
        var logprobs = new float[k];
        GraphTopK.CopyPositions(values, graphIds, graphIds.Length, 0, 1, k, ids, logprobs);
        return (ids, logprobs);
    }

    [Theory]
    [InlineData(new[] { 5, 2, 7, 9, 1, 0 })]
    [InlineData(new[] { 5, 9, 2, 7, 1, 0 })]
    [InlineData(new[] { 0, 1, 7, 9, 2, 5 })]
    public void Equal_log_probs_are_read_in_ascending_id_order(int[] graphIds)
    {
        for (var k = 1; k <= graphIds.Length; k++)
        {
            var (hostIds, hostLogprobs) = Host(k);
            var (ids, logprobs) = Copy(graphIds, k);
            Assert.Equal(hostIds, ids);
            Assert.Equal(hostLogprobs, logprobs);
        }
    }

    [Fact]
    public void NaN_comes_last()
    {
        int[] all = [4, 8, 6, 3, 0, 1, 9, 7, 2, 5];
        var (ids, _) = Copy(all, all.Length);
        Assert.Equal(Host(all.Length).Ids, ids);
        Assert.Equal(4, ids[^1]);
    }

    [Fact]
    public void Positions_are_read_from_the_first_one_asked_for()
    {
        int[] graphIds = [5, 2, 7];
        var block = new[] { 0, 1, 3, 5, 2, 7 };
        var values = block.Select(id => Vocabulary[id]).ToArray();
        var ids = new int[2];
        var logprobs = new float[2];
        GraphTopK.CopyPositions(values, block, graphIds.Length, first: 1, count: 1, k: 2, ids, logprobs);
        Assert.Equal([5, 2], ids);
    }

    [Fact]
    public void A_k_above_the_graphs_is_refused() =>
        Assert.Throws<ArgumentException>(() => Copy([5, 2, 7], 4));
}
