namespace Distill.StudentTrainer.Data;

/// <summary>
/// A deterministic order of prompt → response pairs: epoch e visits every pair once in an order shuffled from
/// (seed, e), and batch n takes the next <c>batch</c> places of that endless sequence. Batch n is a pure function of
/// (seed, n), so a run's data cursor is just the index of its next batch.
/// </summary>
public sealed class PairSampler
{
    private readonly int _count;
    private readonly int _batch;
    private readonly int _seed;
    private (long Epoch, int[] Order)? _cached;

    /// <param name="count">Number of pairs, ≥ 1.</param>
    /// <param name="batch">Pairs per batch, ≥ 1 (may exceed <paramref name="count"/>: a batch then spans epochs).</param>
    public PairSampler(int count, int batch, int seed)
    {
        if (count < 1) throw new ArgumentException($"a pair sampler needs at least one pair, got {count}");
        if (batch < 1) throw new ArgumentException($"batch size must be ≥ 1, got {batch}");
        (_count, _batch, _seed) = (count, batch, seed);
    }

    /// <summary>Indices of the pairs of batch <paramref name="batchIndex"/>.</summary>
    public int[] IndicesOf(long batchIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batchIndex);
        var indices = new int[_batch];
        for (int b = 0; b < _batch; b++)
        {
            long place = batchIndex * _batch + b;
            indices[b] = Order(place / _count)[place % _count];
        }
        return indices;
    }

    private int[] Order(long epoch)
    {
        lock (this)
        {
            if (_cached is { } cached && cached.Epoch == epoch) return cached.Order;
            int[] order = Enumerable.Range(0, _count).ToArray();
            StepRandom.For(_seed, epoch).Shuffle(order);
            _cached = (epoch, order);
            return order;
        }
    }
}
