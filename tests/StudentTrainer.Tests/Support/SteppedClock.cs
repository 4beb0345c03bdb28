using Microsoft.Extensions.Time.Testing;

namespace Distill.Testing;

/// <summary>
/// A fake clock that knows which of its timers are pending, so that a test moves time exactly to the next thing waiting
/// for it (a retry delay, a batch window, a patience) instead of sleeping. Time moves only when the test says; the real
/// timeout of a wait for a timer only turns a hang into a failure.
/// </summary>
internal sealed class SteppedClock : FakeTimeProvider
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(60);
    private readonly Lock gate = new();
    private readonly List<TrackedTimer> timers = [];
    private TaskCompletionSource created = NewSignal();

    public SteppedClock()
        : base(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero))
    {
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var now = GetUtcNow();
        var timer = new TrackedTimer(this, base.CreateTimer(callback, state, dueTime, period));
        timer.Schedule(now, dueTime, period);
        return timer;
    }

    /// <summary>
    /// The delay from now of the earliest pending timer whose delay satisfies <paramref name="which"/> (any when null),
    /// once there is one.
    /// </summary>
    /// <exception cref="TimeoutException">None appeared within a minute of real time.</exception>
    public async Task<TimeSpan> WaitForTimerAsync(Func<TimeSpan, bool>? which = null, CancellationToken ct = default)
    {
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(ct);
        guard.CancelAfter(Guard);
        while (true)
        {
            Task signal;
            var now = GetUtcNow();
            lock (gate)
            {
                var delays = timers.Select(t => t.DelayFrom(now)).OfType<TimeSpan>().Where(d => which is null || which(d)).ToArray();
                if (delays.Length > 0)
                {
                    return delays.Min();
                }
                signal = created.Task;
            }
            try
            {
                await signal.WaitAsync(guard.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new TimeoutException("no timer of the awaited kind was started on the fake clock");
            }
        }
    }

    /// <summary>
    /// Moves time to each pending timer in turn until <paramref name="done"/> completes; returns the time moved.
    /// </summary>
    /// <exception cref="TimeoutException">Time would pass <paramref name="limit"/> before <paramref name="done"/> completed.</exception>
    public async Task<TimeSpan> RunUntilAsync(Task done, TimeSpan limit)
    {
        var start = GetUtcNow();
        using var stop = new CancellationTokenSource();
        while (!done.IsCompleted)
        {
            var next = WaitForTimerAsync(ct: stop.Token);
            if (await Task.WhenAny(done, next) == done)
            {
                await stop.CancelAsync();
                await next.ContinueWith(_ => { }, TaskScheduler.Default);
                break;
            }
            var delay = await next;
            if (GetUtcNow() - start + delay > limit)
            {
                throw new TimeoutException($"still not done after {limit} of fake time");
            }
            Advance(delay);
        }
        return GetUtcNow() - start;
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void Scheduled(TrackedTimer timer)
    {
        TaskCompletionSource signal;
        lock (gate)
        {
            if (!timers.Contains(timer))
            {
                timers.Add(timer);
            }
            signal = created;
            created = NewSignal();
        }
        signal.TrySetResult();
    }

    private void Removed(TrackedTimer timer)
    {
        lock (gate)
        {
            timers.Remove(timer);
        }
    }

    /// <summary>A timer of the fake clock with when it is due next.</summary>
    private sealed class TrackedTimer(SteppedClock clock, ITimer inner) : ITimer
    {
        private DateTimeOffset? due;
        private TimeSpan period = Timeout.InfiniteTimeSpan;

        /// <summary>How long from <paramref name="now"/> until it fires next; null when it never will.</summary>
        public TimeSpan? DelayFrom(DateTimeOffset now)
        {
            if (due is not { } at)
            {
                return null;
            }
            if (at > now)
            {
                return at - now;
            }
            if (period == Timeout.InfiniteTimeSpan || period <= TimeSpan.Zero)
            {
                return null;
            }
            var passed = (now - at).Ticks / period.Ticks + 1;
            return at + TimeSpan.FromTicks(passed * period.Ticks) - now;
        }

        public void Schedule(DateTimeOffset now, TimeSpan dueTime, TimeSpan newPeriod)
        {
            due = dueTime == Timeout.InfiniteTimeSpan ? null : now + dueTime;
            period = newPeriod;
            clock.Scheduled(this);
        }

        public bool Change(TimeSpan dueTime, TimeSpan newPeriod)
        {
            var now = clock.GetUtcNow();
            var changed = inner.Change(dueTime, newPeriod);
            Schedule(now, dueTime, newPeriod);
            return changed;
        }

        public void Dispose()
        {
            due = null;
            clock.Removed(this);
            inner.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
