using Distill.TeacherServer.Hosting;
using Distill.TeacherServer.Onnx;

namespace Distill.TeacherServer.Caching;

/// <summary>
/// Runs a batch of rows through the session reusing cached prefixes: each row runs only the positions after the longest
/// cached prefix it may use (no longer than its first answered position), rows with different cached lengths share
/// one run, and the run's keys and values are cached for the rows that follow. Without a cache, or for a model
/// without a float32 KV cache, rows run whole. A run whose rows all ask from position 0 (whole-sequence answers, as
/// token-level distillation asks for windows it never extends) is neither looked up nor kept: fetching and caching its
/// keys and values cost 13 % of the server's throughput on 16 × 256 batches at k = 256 and no client reused them.
/// </summary>
public sealed class PrefixCachedRunner(TeacherSession session, PrefixKvCache? cache, string modelName)
{
    private readonly bool caching = cache is not null && session.SupportsPrefixCache;

    /// <param name="rows">(tokens, first answered position) of each row.</param>
    /// <param name="k">The largest k of the rows (<see cref="TeacherSession.Run(IReadOnlyList{RowFeed}, PastFeed, ReadOnlySpan{float}, bool, bool, int)"/>).</param>
    /// <returns>The run's output and, per row, how many leading positions came from the cache (output index j is position pastLength + j).</returns>
    public (TeacherBatchOutput Output, int[] PastLengths) Run(IReadOnlyList<(int[] Tokens, int Start)> rows, ReadOnlySpan<float> temperatures, bool wantLastLogits, int k)
    {
        if (!caching || rows.All(r => r.Start == 0))
        {
            return (session.Run(rows.Select(r => r.Tokens).ToArray(), temperatures, wantLastLogits, k), new int[rows.Count]);
        }
        var usable = rows.Select(r => Math.Min(r.Start, r.Tokens.Length - 1)).ToArray();
        var found = rows.Select((r, b) => cache!.Find(r.Tokens, usable[b])).ToArray();
        var pastLengths = found.Select(f => f?.Length ?? 0).ToArray();
        RecordLookups(pastLengths, usable);

        var block = SharedBlock(found);
        var extending = block is not null;
        int[][] pastSlots;
        if (block is not null)
        {
            pastSlots = block.Rows.Select(r => r.Slots).ToArray();
        }
        else
        {
            (block, pastSlots) = Assemble(found, pastLengths, rows.Max(r => r.Tokens.Length));
        }
        var feeds = rows.Select((r, b) => new RowFeed(r.Tokens, pastLengths[b])).ToArray();
        var past = block.Width == 0 ? PastFeed.None : block.Feed(pastSlots);
        TeacherBatchOutput output;
        try
        {
            output = session.Run(feeds, past, temperatures, wantLastLogits, wantKeyValues: true, k);
        }
        catch when (!extending)
        {
            block.Release();
            throw;
        }
        finally
        {
            foreach (var value in past.Values ?? [])
            {
                value.Dispose();
            }
        }
        try
        {
            Keep(block, extending, output, feeds, pastSlots);
        }
        catch
        {
            output.Dispose();
            throw;
        }
        return (output, pastLengths);
    }

    /// <summary>
    /// The positions a row would run now: all of them, or those after the longest cached prefix it may use (looked up
    /// without counting as a use). An estimate for batching: the cache may change before the row runs.
    /// </summary>
    public int ExpectedWidth(int[] tokens, int start) =>
        !caching || start <= 0 ? tokens.Length : tokens.Length - (cache!.Peek(tokens, Math.Min(start, tokens.Length - 1))?.Length ?? 0);

    /// <summary>A row that could not use the cache (start 0: every position is answered) is neither a hit nor a miss.</summary>
    private void RecordLookups(int[] pastLengths, int[] usable)
    {
        var hits = pastLengths.Count(l => l > 0);
        TeacherMetrics.PrefixCacheHits.WithLabels(modelName).Inc(hits);
        TeacherMetrics.PrefixCacheMisses.WithLabels(modelName).Inc(usable.Count(u => u > 0) - hits);
        TeacherMetrics.PrefixCacheHitPositions.WithLabels(modelName).Inc(pastLengths.Sum());
    }

    /// <summary>
    /// The block whose values can be fed as they are: every row continues the whole row of the same index of one block
    /// of the same batch size (a batch extended token by token). Anything else is assembled compactly, so that a block
    /// never carries slots its rows do not use.
    /// </summary>
    private static KvBlock? SharedBlock(CachedPrefix?[] found)
    {
        var block = found[0]?.Block;
        if (block is null || block.Batch != found.Length)
        {
            return null;
        }
        for (var b = 0; b < found.Length; b++)
        {
            if (found[b] is not { } hit || hit.Block != block || hit.Row != b || hit.Length != block.Rows[b].Tokens.Length)
            {
                return null;
            }
        }
        return block;
    }

    /// <summary>A new block holding row b's cached positions in slots [0, m_b); its width is the longest of them.</summary>
    private (KvBlock, int[][]) Assemble(CachedPrefix?[] found, int[] pastLengths, int longestRow)
    {
        var block = new KvBlock(session.PastShapes, found.Length, longestRow, cache!.Buffers);
        var slots = new int[found.Length][];
        for (var b = 0; b < found.Length; b++)
        {
            if (found[b] is { } hit)
            {
                block.CopyPrefix(hit.Block, hit.Row, hit.Length, b);
            }
            slots[b] = Enumerable.Range(0, pastLengths[b]).ToArray();
        }
        block.Filled(pastLengths.Max());
        return (block, slots);
    }

    /// <summary>
    /// Appends the run's keys and values to the block: row b's positions are its past slots, then slots
    /// [W, W + new) where W was the block's width. A block that was fed as it was grows in place (its rows were all
    /// continued in full, so it still holds every prefix it held); a new one is added to the cache.
    /// </summary>
    private void Keep(KvBlock block, bool extending, TeacherBatchOutput output, RowFeed[] feeds, int[][] pastSlots)
    {
        var bytesBefore = block.Bytes;
        var previousLengths = block.Rows.Select(r => r?.Tokens.Length ?? 0).ToArray();
        var width = block.Width;
        block.Append(output);
        for (var b = 0; b < feeds.Length; b++)
        {
            var tokens = feeds[b].Tokens;
            var slots = new int[tokens.Length];
            pastSlots[b].CopyTo(slots, 0);
            for (var j = 0; j < feeds[b].NewLength; j++)
            {
                slots[feeds[b].PastLength + j] = width + j;
            }
            block.Rows[b] = new BlockRow(tokens, slots, PrefixHashes.Of(tokens, tokens.Length));
        }
        if (extending)
        {
            cache!.Extended(block, bytesBefore, previousLengths);
        }
        else
        {
            cache!.Add(block);
        }
    }
}
