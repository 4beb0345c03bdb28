using Distill.TeacherServer.Caching;

namespace Distill.TeacherServer.Tests;

/// <summary>
/// The prefix cache's index and eviction: the newest holder of a shared prefix is found, dropping a block leaves the
/// other holders findable and leaves nothing of its own behind, and the least recently used block goes first.
/// </summary>
public sealed class PrefixKvCacheTests
{
    private static readonly (int Heads, int HeadDim)[] Shapes = [(1, 2)];
    private static readonly int[] Shared = [5, 6, 7, 8];

    /// <summary>A block of one row holding <paramref name="tokens"/> in slots 0, 1, ….</summary>
    private static KvBlock Block(PrefixKvCache cache, int[] tokens)
    {
        var block = new KvBlock(Shapes, 1, tokens.Length, cache.Buffers);
        block.Filled(tokens.Length);
        block.Rows[0] = new BlockRow(tokens, Enumerable.Range(0, tokens.Length).ToArray(), PrefixHashes.Of(tokens, tokens.Length));
        return block;
    }

    private static int[] WithShared(int tail) => [.. Shared, tail, tail + 1];

    [Fact]
    public void A_shared_prefix_is_found_in_its_newest_holder_and_in_the_next_once_that_one_is_dropped()
    {
        using var cache = new PrefixKvCache(1 << 20, "index");
        var blocks = Enumerable.Range(0, 50).Select(i => Block(cache, WithShared(100 + 2 * i))).ToArray();
        foreach (var block in blocks)
        {
            cache.Add(block);
        }

        Assert.Same(blocks[^1], cache.Find([.. Shared, 1], Shared.Length)!.Block);
        cache.Remove(blocks[^1]);
        Assert.Same(blocks[^2], cache.Find([.. Shared, 1], Shared.Length)!.Block);
        Assert.Same(blocks[10], cache.Find(WithShared(120), 6)!.Block);
        Assert.Equal(6, cache.Find(WithShared(120), 6)!.Length);
    }

    [Fact]
    public void Dropping_every_block_leaves_no_prefix_behind()
    {
        using var cache = new PrefixKvCache(1 << 20, "drop-all");
        var blocks = Enumerable.Range(0, 30).Select(i => Block(cache, WithShared(100 + 2 * i))).ToArray();
        foreach (var block in blocks)
        {
            cache.Add(block);
        }
        Assert.Equal(Shared.Length + 2 * 30, cache.Prefixes);

        foreach (var block in blocks.Reverse().Where((_, i) => i % 2 == 0).Concat(blocks.Where((_, i) => i % 2 == 0)))
        {
            cache.Remove(block);
        }

        Assert.Equal(0, cache.Prefixes);
        Assert.Equal(0, cache.Blocks);
        Assert.Null(cache.Find([.. Shared, 1], Shared.Length));
    }

    [Fact]
    public void The_least_recently_used_block_is_evicted_first_and_a_peek_is_not_a_use()
    {
        long blockBytes;
        using (var sizing = new PrefixKvCache(1 << 20, "sizing"))
        {
            var probe = Block(sizing, WithShared(1));
            blockBytes = probe.Bytes;
            probe.Release();
        }
        using var cache = new PrefixKvCache(2 * blockBytes, "lru");
        int[] a = [1, 2, 3], b = [4, 5, 6], c = [7, 8, 9], d = [10, 11, 12];
        cache.Add(Block(cache, a));
        cache.Add(Block(cache, b));

        Assert.NotNull(cache.Find(a, 3));                // a is used: b is now the oldest
        cache.Add(Block(cache, c));
        Assert.Null(cache.Peek(b, 3));
        Assert.NotNull(cache.Peek(a, 3));                // a peek does not save a from being the oldest now
        cache.Add(Block(cache, d));

        Assert.Null(cache.Peek(a, 3));
        Assert.NotNull(cache.Peek(c, 3));
        Assert.NotNull(cache.Peek(d, 3));
        Assert.Equal(2, cache.Evictions);
        Assert.Equal(2, cache.Blocks);
    }
}
