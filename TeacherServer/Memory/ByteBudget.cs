using Distill.TeacherServer.Hosting;

namespace Distill.TeacherServer.Memory;

/// <summary>
/// A number of bytes that requests take before they allocate and give back once that memory is garbage. Waiters are
/// served first come, first served, so a large request is not starved by a stream of small ones.
/// </summary>
public sealed class ByteBudget
{
    private readonly Lock gate = new();
    private readonly LinkedList<Waiter> waiters = new();
    private long inUse;
    private long highWater;

    /// <param name="name">Label of the budget in the metrics.</param>
    public ByteBudget(string name, long capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Name = name;
        Capacity = capacity;
        TeacherMetrics.BudgetBytes.WithLabels(name).Set(capacity);
    }

    public string Name { get; }

    public long Capacity { get; }

    public long InUse
    {
        get
        {
            lock (gate)
            {
                return inUse;
            }
        }
    }

    /// <summary>Takers waiting for their bytes.</summary>
    public int Waiting
    {
        get
        {
            lock (gate)
            {
                return waiters.Count;
            }
        }
    }

    /// <summary>The most bytes ever taken at once.</summary>
    public long HighWater
    {
        get
        {
            lock (gate)
            {
                return highWater;
            }
        }
    }

    /// <summary>Takes <paramref name="bytes"/> if they fit now and nobody is waiting.</summary>
    public bool TryTake(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        lock (gate)
        {
            if (waiters.Count > 0 || inUse + bytes > Capacity)
            {
                return false;
            }
            Add(bytes);
            return true;
        }
    }

    /// <summary>Takes <paramref name="bytes"/>, waiting behind earlier waiters until they fit.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bytes"/> is more than the capacity: it would never fit.</exception>
    public async Task TakeAsync(long bytes, CancellationToken cancellation)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bytes, Capacity);
        Waiter waiter;
        lock (gate)
        {
            if (waiters.Count == 0 && inUse + bytes <= Capacity)
            {
                Add(bytes);
                return;
            }
            waiter = new Waiter(bytes);
            waiter.Node = waiters.AddLast(waiter);
            TeacherMetrics.BudgetWaiting.WithLabels(Name).Inc();
        }
        await using (cancellation.Register(() => Abandon(waiter, cancellation)))
        {
            await waiter.Granted.Task;
        }
    }

    public void Return(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        var granted = new List<Waiter>();
        lock (gate)
        {
            inUse -= bytes;
            while (waiters.First is { } first && inUse + first.Value.Bytes <= Capacity)
            {
                waiters.RemoveFirst();
                Add(first.Value.Bytes);
                granted.Add(first.Value);
            }
            TeacherMetrics.BudgetInUse.WithLabels(Name).Set(inUse);
        }
        foreach (var waiter in granted)
        {
            TeacherMetrics.BudgetWaiting.WithLabels(Name).Dec();
            waiter.Granted.TrySetResult();
        }
    }

    private void Add(long bytes)
    {
        inUse += bytes;
        highWater = Math.Max(highWater, inUse);
        TeacherMetrics.BudgetInUse.WithLabels(Name).Set(inUse);
    }

    /// <summary>Removes a cancelled waiter that has not been served; one already served keeps its bytes (its caller returns them).</summary>
    private void Abandon(Waiter waiter, CancellationToken cancellation)
    {
        lock (gate)
        {
            if (waiter.Node?.List is null)
            {
                return;
            }
            waiters.Remove(waiter.Node);
        }
        TeacherMetrics.BudgetWaiting.WithLabels(Name).Dec();
        waiter.Granted.TrySetCanceled(cancellation);
        Return(0); // the waiter may have blocked smaller ones behind it
    }

    private sealed class Waiter(long bytes)
    {
        public long Bytes => bytes;

        public LinkedListNode<Waiter>? Node { get; set; }

        public TaskCompletionSource Granted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
