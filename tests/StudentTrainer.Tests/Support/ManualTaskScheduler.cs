namespace Distill.Testing;

/// <summary>
/// Runs the tasks queued to it only when the test says so, on the test's thread: once <see cref="RunAll"/> returns,
/// everything that could happen without a further signal from the test has happened.
/// </summary>
internal sealed class ManualTaskScheduler : TaskScheduler
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(60);
    private readonly Lock gate = new();
    private readonly Queue<Task> queued = new();
    private readonly SemaphoreSlim arrivals = new(0);

    /// <summary>Runs the queued tasks, and those they queue in turn, until none is left; returns how many ran.</summary>
    public int RunAll()
    {
        var ran = 0;
        while (true)
        {
            Task? next;
            lock (gate)
            {
                if (!queued.TryDequeue(out next))
                {
                    return ran;
                }
            }
            TryExecuteTask(next);
            ran++;
        }
    }

    /// <summary>Waits until at least <paramref name="count"/> tasks are queued (queued from another thread).</summary>
    /// <exception cref="TimeoutException">They were not within a minute of real time.</exception>
    public void WaitForQueued(int count)
    {
        var deadline = DateTime.UtcNow + Guard;
        while (true)
        {
            lock (gate)
            {
                if (queued.Count >= count)
                {
                    return;
                }
            }
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !arrivals.Wait(left))
            {
                throw new TimeoutException($"{count} tasks were never queued");
            }
        }
    }

    protected override void QueueTask(Task task)
    {
        lock (gate)
        {
            queued.Enqueue(task);
        }
        arrivals.Release();
    }

    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) => false;

    protected override IEnumerable<Task> GetScheduledTasks()
    {
        lock (gate)
        {
            return queued.ToArray();
        }
    }
}
