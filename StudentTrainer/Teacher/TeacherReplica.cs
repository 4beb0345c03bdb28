namespace Distill.StudentTrainer.Teacher;

/// <summary>
/// The state of one replica inside <see cref="ReplicatedTeacher"/>: up or down, in-flight count, counters, and the
/// readiness probe that brings a down replica back. Thread-safe.
/// </summary>
internal sealed class TeacherReplica(TeacherClient client, TimeProvider time)
{
    private readonly Lock gate = new();
    private bool down;
    private long downSince;
    private TimeSpan downBefore;
    private long nextProbe;
    private Task? probe;
    private int inFlight;
    private long requests;
    private long failures;
    private string? lastError;

    public TeacherClient Client { get; } = client;

    public string Name => Client.BaseAddress.AbsoluteUri;

    public bool IsUp
    {
        get { lock (gate) return !down; }
    }

    public int InFlight
    {
        get { lock (gate) return inFlight; }
    }

    public void Begin()
    {
        lock (gate)
        {
            inFlight++;
            requests++;
        }
    }

    /// <summary>A request ended; a success also brings the replica back up.</summary>
    public void End(bool succeeded)
    {
        lock (gate)
        {
            inFlight--;
            if (succeeded) MarkUpLocked();
        }
    }

    /// <summary>A request failed there: marks it down until a probe after <paramref name="cooldown"/> finds it ready. True when it was up.</summary>
    public bool Fail(Exception error, TimeSpan cooldown)
    {
        lock (gate)
        {
            inFlight--;
            failures++;
            return MarkDownLocked(error.Message, cooldown);
        }
    }

    /// <summary>Marks it down without a failed request (it did not answer at connection). True when it was up.</summary>
    public bool MarkDown(string reason, TimeSpan cooldown)
    {
        lock (gate) return MarkDownLocked(reason, cooldown);
    }

    /// <summary>
    /// The running probe of a down replica; starts one when the cool-down has passed. Null when the replica is up or
    /// its next probe is not due yet (<paramref name="dueIn"/> then says when it is).
    /// </summary>
    public Task? ProbeIfDue(TimeSpan cooldown, Action<TeacherReplica> cameBack, out TimeSpan dueIn)
    {
        dueIn = TimeSpan.Zero;
        lock (gate)
        {
            if (!down) return null;
            if (probe is not null) return probe;
            var now = time.GetTimestamp();
            if (now < nextProbe)
            {
                dueIn = time.GetElapsedTime(now, nextProbe);
                return null;
            }
            probe = RunProbeAsync(cooldown, cameBack);
            return probe;
        }
    }

    public TeacherReplicaStats Snapshot()
    {
        lock (gate)
        {
            var timeDown = downBefore + (down ? time.GetElapsedTime(downSince) : TimeSpan.Zero);
            return new TeacherReplicaStats(Client.BaseAddress, !down, inFlight, requests, failures, timeDown, lastError);
        }
    }

    public string Describe()
    {
        lock (gate)
        {
            if (down) return $"{Name} (down {time.GetElapsedTime(downSince).TotalSeconds:0} s: {lastError})";
            return lastError is null ? $"{Name} (up)" : $"{Name} (up; last error: {lastError})";
        }
    }

    private async Task RunProbeAsync(TimeSpan cooldown, Action<TeacherReplica> cameBack)
    {
        await Task.Yield(); // never probe under the caller's lock
        var ready = await Client.IsReadyAsync(CancellationToken.None).ConfigureAwait(false);
        bool revived;
        lock (gate)
        {
            probe = null;
            revived = ready && down;
            if (ready) MarkUpLocked();
            else nextProbe = time.GetTimestamp() + ToTicks(cooldown);
        }
        if (revived) cameBack(this);
    }

    private bool MarkDownLocked(string reason, TimeSpan cooldown)
    {
        lastError = reason;
        var wasUp = !down;
        if (wasUp)
        {
            down = true;
            downSince = time.GetTimestamp();
        }
        nextProbe = time.GetTimestamp() + ToTicks(cooldown);
        return wasUp;
    }

    private void MarkUpLocked()
    {
        if (!down) return;
        down = false;
        downBefore += time.GetElapsedTime(downSince);
    }

    private long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * time.TimestampFrequency);
}
