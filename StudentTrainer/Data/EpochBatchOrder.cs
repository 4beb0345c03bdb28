namespace Distill.StudentTrainer.Data;

/// <summary>
/// The batches of a run that repeats a fixed set of <c>batchesPerEpoch</c> batches: batch n of epoch 0 is batch n; of
/// epoch e ≥ 1, batch π_e(n mod batchesPerEpoch) of epoch 0, with π_e a permutation seeded by the seed and e. So every
/// epoch sees the same windows (whose teacher answers a cache may hold) in a new order, and the order is a pure function
/// of the seed, as a resumed run needs.
/// </summary>
public sealed class EpochBatchOrder
{
    private readonly long _batchesPerEpoch;
    private readonly int _seed;
    private (long Epoch, int[] Order)? _cached;

    public EpochBatchOrder(long batchesPerEpoch, int seed)
    {
        if (batchesPerEpoch is < 1 or > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(batchesPerEpoch), $"an epoch needs 1 to {int.MaxValue} batches, got {batchesPerEpoch}");
        _batchesPerEpoch = batchesPerEpoch;
        _seed = seed;
    }

    /// <summary>The batch of the first epoch that batch <paramref name="batch"/> trains on.</summary>
    public long SourceOf(long batch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        long epoch = batch / _batchesPerEpoch;
        int index = (int)(batch % _batchesPerEpoch);
        return epoch == 0 ? index : Order(epoch)[index];
    }

    private int[] Order(long epoch)
    {
        lock (this)
        {
            if (_cached is { } cached && cached.Epoch == epoch) return cached.Order;
            var random = new Random(unchecked(_seed * 7_919 + (int)epoch * 1_000_003 + 101));
            int[] order = Enumerable.Range(0, (int)_batchesPerEpoch).ToArray();
            random.Shuffle(order);
            _cached = (epoch, order);
            return order;
        }
    }
}
