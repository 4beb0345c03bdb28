using Distill.TeacherServer.Hosting;
using Distill.TeacherServer.Onnx;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

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
    /// <returns>The run's output and, per row, how many leading positions came from the cache (output index j is position pastLength + j).</returns>
    public (TeacherBatchOutput Output, int[] PastLengths) Run(IReadOnlyList<(int[] Tokens, int Start)> rows, ReadOnlySpan<float> temperatures, bool wantLastLogits)
    {
        if (!caching || rows.All(r => r.Start == 0))
        {
            return (session.Run(rows.Select(r => r.Tokens).ToArray(), temperatures, wantLastLogits), new int[rows.Count]);
        }
        var usable = rows.Select(r => Math.Min(r.Start, r.Tokens.Length - 1)).ToArray();
        var found = rows.Select((r, b) => cache!.Find(r.Tokens, usable[b])).ToArray();
        var pastLengths = found.Select(f => f?.Length ?? 0).ToArray();
        RecordLookups(pastLengths, usable);

        var source = SharedBlock(found);
        var owned = Array.Empty<OrtValue>();
        PastFeed past;
        int[][] pastSlots;
        if (source is not null)
        {
            (past, pastSlots) = Borrow(source, pastLengths);
        }
        else
        {
            (past, pastSlots, owned) = Assemble(found, pastLengths);
        }
        try
        {
            var feeds = rows.Select((r, b) => new RowFeed(r.Tokens, pastLengths[b])).ToArray();
            var output = session.Run(feeds, past, temperatures, wantLastLogits, wantPresents: true);
            Keep(output, feeds, past.Width, pastSlots, source);
            return (output, pastLengths);
        }
        finally
        {
            foreach (var value in owned)
            {
                value.Dispose();
            }
        }
    }

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
        if (block is null || block.Rows.Count != found.Length)
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

    /// <summary>The block's own values as the past; each row's mask marks the slots of its first pastLength positions.</summary>
    private static (PastFeed, int[][]) Borrow(KvBlock block, int[] pastLengths)
    {
        var width = block.Width;
        var mask = new long[pastLengths.Length * width];
        var slots = new int[pastLengths.Length][];
        for (var b = 0; b < pastLengths.Length; b++)
        {
            slots[b] = block.Rows[b].Slots[..pastLengths[b]];
            foreach (var slot in slots[b])
            {
                mask[b * width + slot] = 1;
            }
        }
        return (new PastFeed(block.Presents, width, mask), slots);
    }

    /// <summary>New past values: row b's cached positions copied, right-aligned, into slots [P − m_b, P) of a [B,H,P,D] tensor.</summary>
    private (PastFeed, int[][], OrtValue[]) Assemble(CachedPrefix?[] found, int[] pastLengths)
    {
        var batch = found.Length;
        var width = pastLengths.Max();
        if (width == 0)
        {
            return (PastFeed.None, new int[batch][].Select(_ => Array.Empty<int>()).ToArray(), []);
        }
        var mask = new long[batch * width];
        var slots = new int[batch][];
        for (var b = 0; b < batch; b++)
        {
            slots[b] = Enumerable.Range(width - pastLengths[b], pastLengths[b]).ToArray();
            foreach (var slot in slots[b])
            {
                mask[b * width + slot] = 1;
            }
        }
        var shapes = session.PastShapes;
        var values = new OrtValue[shapes.Count];
        try
        {
            for (var i = 0; i < shapes.Count; i++)
            {
                var (heads, headDim) = shapes[i];
                values[i] = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, TensorElementType.Float, [batch, heads, width, headDim]);
                var target = values[i].GetTensorMutableDataAsSpan<float>();
                target.Clear();
                for (var b = 0; b < batch; b++)
                {
                    if (found[b] is { } hit)
                    {
                        CopyRow(hit, i, target, b, width - pastLengths[b], width, (int)heads, (int)headDim);
                    }
                }
            }
        }
        catch
        {
            foreach (var value in values)
            {
                value?.Dispose();
            }
            throw;
        }
        return (new PastFeed(values, width, mask), slots, values);
    }

    /// <summary>Copies the first hit.Length positions of the hit's row, run by run of consecutive slots, for every head.</summary>
    private static void CopyRow(CachedPrefix hit, int input, Span<float> target, int b, int firstSlot, int width, int heads, int headDim)
    {
        var source = hit.Block.Presents[input].GetTensorDataAsSpan<float>();
        var sourceSlots = hit.Block.Rows[hit.Row].Slots;
        var sourceWidth = hit.Block.Width;
        for (var p = 0; p < hit.Length;)
        {
            var run = 1;
            while (p + run < hit.Length && sourceSlots[p + run] == sourceSlots[p] + run)
            {
                run++;
            }
            for (var h = 0; h < heads; h++)
            {
                var from = (((long)hit.Row * heads + h) * sourceWidth + sourceSlots[p]) * headDim;
                var to = (((long)b * heads + h) * width + firstSlot + p) * headDim;
                source.Slice((int)from, run * headDim).CopyTo(target[(int)to..]);
            }
            p += run;
        }
    }

    /// <summary>
    /// Caches the run's keys and values: row b's positions are its past slots, then slots [P, P + new). A block fed as
    /// it was is dropped: its rows were all continued in full, so the new block holds every prefix it held.
    /// </summary>
    private void Keep(TeacherBatchOutput output, RowFeed[] feeds, int pastWidth, int[][] pastSlots, KvBlock? source)
    {
        var presents = output.TakePresents();
        var rows = new BlockRow[feeds.Length];
        for (var b = 0; b < feeds.Length; b++)
        {
            var tokens = feeds[b].Tokens;
            var slots = new int[tokens.Length];
            pastSlots[b].CopyTo(slots, 0);
            for (var j = 0; j < feeds[b].NewLength; j++)
            {
                slots[feeds[b].PastLength + j] = pastWidth + j;
            }
            rows[b] = new BlockRow(tokens, slots, PrefixHashes.Of(tokens, tokens.Length));
        }
        cache!.Add(new KvBlock(presents, rows, pastWidth + output.Width));
        if (source is not null)
        {
            cache.Remove(source);
        }
    }
}
