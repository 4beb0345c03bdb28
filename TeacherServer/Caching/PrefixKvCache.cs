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
    private readonly PrefixIndex prefixes = new();

    public PrefixKvCache(long budgetBytes, string modelName)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(budgetBytes);
        this.budgetBytes = budgetBytes;
        this.modelName = modelName;
        Buffers = new KvBufferPool(budgetBytes / 8);
    }

    /// <summary>Buffers of dropped blocks for new ones; it holds at most an eighth of the budget besides it.</summary>
    public KvBufferPool Buffers { get; }

    public long BytesHeld { get; private set; }

    public int Blocks => recency.Count;

    /// <summary>Distinct prefixes findable (by hash).</summary>
    public int Prefixes => prefixes.Hashes;

    public long Evictions { get; private set; }

    /// <summary>The longest cached prefix of <paramref name="tokens"/> no longer than <paramref name="maxLength"/>; null when none.</summary>
    public CachedPrefix? Find(int[] tokens, int maxLength)
    {
        var found = Peek(tokens, maxLength);
        if (found is not null)
        {
            Touch(found.Block);
        }
        return found;
    }

    /// <summary>As <see cref="Find"/>, without counting as a use (the block keeps its place in the eviction order).</summary>
    public CachedPrefix? Peek(int[] tokens, int maxLength)
    {
        if (maxLength <= 0)
        {
            return null;
        }
        var hashes = PrefixHashes.Of(tokens, Math.Min(maxLength, tokens.Length));
        for (var length = hashes.Length; length > 0; length--)
        {
            // Newest first: a batch being extended finds the block of its previous step, which it can continue in place.
            foreach (var (block, row) in prefixes.Holders(hashes[length - 1]))
            {
                var cached = block.Rows[row].Tokens;
                if (cached.Length >= length && cached.AsSpan(0, length).SequenceEqual(tokens.AsSpan(0, length)))
                {
                    return new CachedPrefix(block, row, length);
                }
            }
        }
        return null;
    }

    /// <summary>Keeps <paramref name="block"/> and evicts the least recently used blocks beyond the budget.</summary>
    public void Add(KvBlock block)
    {
        if (block.Bytes > budgetBytes)
        {
            block.Release();
            return;
        }
        block.Node = recency.AddLast(block);
        BytesHeld += block.Bytes;
        for (var row = 0; row < block.Rows.Length; row++)
        {
            Index(block, row, 0);
        }
        EvictBeyondBudget();
    }

    /// <summary>
    /// Records that a run extended the rows of a kept block in place: the prefixes longer than
    /// <paramref name="previousLengths"/> become findable and the block's growth counts against the budget.
    /// </summary>
    public void Extended(KvBlock block, long bytesBefore, int[] previousLengths)
    {
        if (block.Node is null)
        {
            return;
        }
        BytesHeld += block.Bytes - bytesBefore;
        if (block.Bytes > budgetBytes)
        {
            Remove(block);
            return;
        }
        for (var row = 0; row < block.Rows.Length; row++)
        {
            Index(block, row, previousLengths[row]);
        }
        Touch(block);
        EvictBeyondBudget();
    }

    private void Index(KvBlock block, int row, int from)
    {
        var hashes = block.Rows[row].Hashes;
        for (var length = from; length < hashes.Length; length++)
        {
            prefixes.Add(hashes[length], block, row);
        }
    }

    private void EvictBeyondBudget()
    {
        while (BytesHeld > budgetBytes && recency.First is { } oldest)
        {
            Remove(oldest.Value);
            Evictions++;
            TeacherMetrics.PrefixCacheEvictions.WithLabels(modelName).Inc();
        }
        TeacherMetrics.PrefixCacheBytes.WithLabels(modelName).Set(BytesHeld);
    }

    /// <summary>Drops a block; it costs a constant per prefix the block holds.</summary>
    public void Remove(KvBlock block)
    {
        if (block.Node is null)
        {
            return;
        }
        recency.Remove(block.Node);
        block.Node = null;
        BytesHeld -= block.Bytes;
        prefixes.Remove(block);
        block.Release();
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
            block.Release();
        }
        recency.Clear();
        prefixes.Clear();
        Buffers.Dispose();
        BytesHeld = 0;
        TeacherMetrics.PrefixCacheBytes.WithLabels(modelName).Set(0);
    }
}
