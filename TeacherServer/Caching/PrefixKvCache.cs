using Distill.TeacherServer.Hosting;

namespace Distill.TeacherServer.Caching;

/// <summary>
/// Keys and values of recently run token prefixes of one model version, least recently used first out, bounded by
/// bytes. Every prefix of every cached row can be found (attention is causal, so the keys and values of a row's first
/// l positions depend on its first l tokens only). Not thread-safe: the model's batcher is its only user.
/// </summary>
public sealed class PrefixKvCache : IDisposable
{
    private readonly long budgetBytes;
    private readonly string modelName;
    private readonly LinkedList<KvBlock> recency = new();
    private readonly Dictionary<ulong, List<(KvBlock Block, int Row)>> prefixes = [];

    public PrefixKvCache(long budgetBytes, string modelName)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(budgetBytes);
        this.budgetBytes = budgetBytes;
        this.modelName = modelName;
    }

    public long BytesHeld { get; private set; }

    public int Blocks => recency.Count;

    public long Evictions { get; private set; }

    /// <summary>The longest cached prefix of <paramref name="tokens"/> no longer than <paramref name="maxLength"/>; null when none.</summary>
    public CachedPrefix? Find(int[] tokens, int maxLength)
    {
        if (maxLength <= 0)
        {
            return null;
        }
        var hashes = PrefixHashes.Of(tokens, Math.Min(maxLength, tokens.Length));
        for (var length = hashes.Length; length > 0; length--)
        {
            if (!prefixes.TryGetValue(hashes[length - 1], out var candidates))
            {
                continue;
            }
            // Newest first: a batch being extended finds the block of its previous step, which it can continue in place.
            for (var i = candidates.Count - 1; i >= 0; i--)
            {
                var (block, row) = candidates[i];
                var cached = block.Rows[row].Tokens;
                if (cached.Length >= length && cached.AsSpan(0, length).SequenceEqual(tokens.AsSpan(0, length)))
                {
                    Touch(block);
                    return new CachedPrefix(block, row, length);
                }
            }
        }
        return null;
    }

    /// <summary>Takes ownership of <paramref name="block"/> and evicts the least recently used blocks beyond the budget.</summary>
    public void Add(KvBlock block)
    {
        if (block.Bytes > budgetBytes)
        {
            block.Dispose();
            return;
        }
        block.Node = recency.AddLast(block);
        BytesHeld += block.Bytes;
        for (var row = 0; row < block.Rows.Count; row++)
        {
            foreach (var hash in block.Rows[row].Hashes)
            {
                if (!prefixes.TryGetValue(hash, out var list))
                {
                    prefixes[hash] = list = new List<(KvBlock, int)>(1);
                }
                list.Add((block, row));
            }
        }
        while (BytesHeld > budgetBytes && recency.First is { } oldest)
        {
            Remove(oldest.Value);
            Evictions++;
            TeacherMetrics.PrefixCacheEvictions.WithLabels(modelName).Inc();
        }
        TeacherMetrics.PrefixCacheBytes.WithLabels(modelName).Set(BytesHeld);
    }

    /// <summary>Drops a block (also one that a newer block makes redundant) and disposes it.</summary>
    public void Remove(KvBlock block)
    {
        if (block.Node is null)
        {
            return;
        }
        recency.Remove(block.Node);
        block.Node = null;
        BytesHeld -= block.Bytes;
        foreach (var row in block.Rows)
        {
            foreach (var hash in row.Hashes)
            {
                if (prefixes.TryGetValue(hash, out var list))
                {
                    list.RemoveAll(entry => entry.Block == block);
                    if (list.Count == 0)
                    {
                        prefixes.Remove(hash);
                    }
                }
            }
        }
        block.Dispose();
        TeacherMetrics.PrefixCacheBytes.WithLabels(modelName).Set(BytesHeld);
    }

    private void Touch(KvBlock block)
    {
        if (block.Node is { } node && node != recency.Last)
        {
            recency.Remove(node);
            recency.AddLast(node);
        }
    }

    public void Dispose()
    {
        foreach (var block in recency)
        {
            block.Node = null;
            block.Dispose();
        }
        recency.Clear();
        prefixes.Clear();
        BytesHeld = 0;
        TeacherMetrics.PrefixCacheBytes.WithLabels(modelName).Set(0);
    }
}
