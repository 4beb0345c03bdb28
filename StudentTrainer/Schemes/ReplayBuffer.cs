namespace Distill.StudentTrainer.Schemes;

/// <summary>
/// DistiLLM's replay buffer: a FIFO of single samples (one sequence each, not batches) holding at most
/// <see cref="Capacity"/>; pushing into a full buffer drops the oldest. A batch is drawn uniformly without replacement.
/// For an exact resume, save <see cref="Snapshot"/> with the capacity and rebuild with the restoring constructor, and
/// give <see cref="Sample"/> a <see cref="Random"/> whose state is reproducible too (e.g. seeded from the run's seed
/// and the step number), since <see cref="Random"/> itself cannot be saved.
/// </summary>
/// <typeparam name="T">One sample; the buffer only stores references to it.</typeparam>
public sealed class ReplayBuffer<T>
{
    /// <summary>DistiLLM's <c>--capacity</c> default.</summary>
    public const int DefaultCapacity = 1000;

    private readonly T[] _slots;
    private int _oldest;   // slot of the oldest sample
    private int _count;

    /// <summary>An empty buffer.</summary>
    public ReplayBuffer(int capacity = DefaultCapacity)
    {
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "the replay buffer's capacity must be ≥ 1");
        _slots = new T[capacity];
    }

    /// <summary>A buffer holding <paramref name="oldestFirst"/>, as <see cref="Snapshot"/> returned them.</summary>
    public ReplayBuffer(int capacity, IEnumerable<T> oldestFirst) : this(capacity)
    {
        ArgumentNullException.ThrowIfNull(oldestFirst);
        T[] items = oldestFirst.ToArray();
        if (items.Length > capacity)
            throw new ArgumentException($"{items.Length} samples do not fit a replay buffer of capacity {capacity}", nameof(oldestFirst));
        items.CopyTo(_slots, 0);
        _count = items.Length;
    }

    public int Capacity => _slots.Length;

    public int Count => _count;

    public bool IsFull => _count == _slots.Length;

    /// <summary>Appends the samples in order; each one pushed into a full buffer evicts the oldest.</summary>
    public void Push(IEnumerable<T> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        foreach (T sample in samples)
        {
            if (IsFull)
            {
                _slots[_oldest] = sample;
                _oldest = (_oldest + 1) % _slots.Length;
            }
            else
            {
                _slots[(_oldest + _count) % _slots.Length] = sample;
                _count++;
            }
        }
    }

    /// <summary>
    /// <paramref name="count"/> distinct samples drawn uniformly without replacement, in the order drawn; the buffer is
    /// unchanged. The same buffer and the same <paramref name="rng"/> state give the same draw.
    /// </summary>
    public IReadOnlyList<T> Sample(int count, Random rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (count < 0 || count > _count)
            throw new ArgumentOutOfRangeException(nameof(count), count, $"cannot draw {count} distinct samples from a replay buffer holding {_count}");
        // A partial Fisher–Yates shuffle of the ages 0 … Count − 1: the first `count` positions are the draw.
        int[] ages = Enumerable.Range(0, _count).ToArray();
        var drawn = new T[count];
        for (int i = 0; i < count; i++)
        {
            int j = rng.Next(i, _count);
            (ages[i], ages[j]) = (ages[j], ages[i]);
            drawn[i] = At(ages[i]);
        }
        return drawn;
    }

    /// <summary>The samples from the oldest to the newest: what a checkpoint must save.</summary>
    public IReadOnlyList<T> Snapshot() => Enumerable.Range(0, _count).Select(At).ToArray();

    private T At(int age) => _slots[(_oldest + age) % _slots.Length];
}
