namespace Distill.StudentTrainer.Schemes;

/// <summary>
/// A deterministic order of prompt batches: pass e visits every pair once, in an order shuffled by (seed, e), and batch n
/// takes the next <c>batch</c> pairs of the passes laid end to end, so it is a pure function of (seed, n).
/// </summary>
public sealed class PromptOrder
{
    private readonly int _count, _batch, _seed;
    private (long Pass, int[] Order)? _last;

    public PromptOrder(int count, int batch, int seed)
    {
        if (count < 1) throw new ArgumentException($"an order needs at least one pair, got {count}");
        if (batch < 1) throw new ArgumentException($"batch size must be ≥ 1, got {batch}");
        (_count, _batch, _seed) = (count, batch, seed);
    }

    /// <summary>Indices of the pairs of batch <paramref name="batchIndex"/>.</summary>
    public int[] IndicesOf(long batchIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batchIndex);
        var indices = new int[_batch];
        for (int i = 0; i < _batch; i++)
        {
            long position = batchIndex * _batch + i;
            indices[i] = Pass(position / _count)[position % _count];
        }
        return indices;
    }

    private int[] Pass(long pass)
    {
        if (_last is { } last && last.Pass == pass) return last.Order;
        int[] order = Enumerable.Range(0, _count).ToArray();
        new Random(unchecked(_seed * 7_919 + (int)pass * 104_729 + 3)).Shuffle(order);   // a fixed mix: HashCode is randomised per process
        _last = (pass, order);
        return order;
    }
}
