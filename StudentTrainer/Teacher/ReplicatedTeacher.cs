using Distill.Shared.Wire;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;

namespace Distill.StudentTrainer.Teacher;

/// <summary>
/// One teacher model served by one or more replicas (TeacherServers on several boxes). Each request goes to the up
/// replica with the fewest requests in flight (ties in turn). A replica whose request fails after the HttpClient's own
/// retries (connection error, timeout, open circuit, 5xx, 408, 429, 404) is marked down and skipped; after
/// <see cref="TeacherClientOptions.ReplicaCooldown"/> a readiness probe brings it back. The failed request moves on to
/// another replica; while every replica is down it waits for one to come back (a teacher restart). A request still
/// unanswered <see cref="TeacherClientOptions.Patience"/> after its first failure throws <see cref="TeacherUnavailableException"/>. A request the
/// server rejects as invalid (other 4xx) fails at once. Every answer's version goes to <see cref="Versions"/>.
/// </summary>
public sealed class ReplicatedTeacher : ITeacher, IDisposable
{
    private readonly TeacherReplica[] replicas;
    private readonly TeacherClientOptions options;
    private readonly ILogger logger;
    private readonly TimeProvider time;
    private readonly IDisposable? owned;
    private int turn;

    /// <param name="clients">One client per replica, all for the same model.</param>
    /// <param name="model">What the replicas serve (as read at connection).</param>
    /// <param name="versions">Receives the version of every answer; a new unpinned tracker when null.</param>
    /// <param name="owned">Disposed with this teacher (the <see cref="TeacherHttpClients"/> the clients came from).</param>
    public ReplicatedTeacher(IReadOnlyList<TeacherClient> clients, ModelInfo model, TeacherClientOptions options,
        TeacherVersionTracker? versions = null, ILogger? logger = null, TimeProvider? time = null, IDisposable? owned = null)
    {
        ArgumentNullException.ThrowIfNull(clients);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        if (clients.Count == 0) throw new ArgumentException("a teacher needs at least one replica", nameof(clients));
        options.Validate();
        this.time = time ?? TimeProvider.System;
        replicas = clients.Select(c => new TeacherReplica(c, this.time)).ToArray();
        Model = model;
        this.options = options;
        Versions = versions ?? new TeacherVersionTracker(options.PinVersion);
        this.logger = logger ?? NullLogger.Instance;
        this.owned = owned;
    }

    public ModelInfo Model { get; }

    public TeacherVersionTracker Versions { get; }

    /// <summary>Counters and state of every replica, in the order they were given.</summary>
    public IReadOnlyList<TeacherReplicaStats> ReplicaStats => replicas.Select(r => r.Snapshot()).ToArray();

    public async Task<TopKResult> TopKAsync(TopKRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (result, source) = await SendAsync((client, token) => client.TopKAsync(request, token), ct).ConfigureAwait(false);
        Versions.Record(result.Version, source);
        return result;
    }

    public async Task<GenerateResponse> GenerateAsync(GenerateRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (result, source) = await SendAsync((client, token) => client.GenerateAsync(request, token), ct).ConfigureAwait(false);
        Versions.Record(result.Version, source);
        return result;
    }

    public void Dispose() => owned?.Dispose();

    /// <summary>Starts the replica at <paramref name="address"/> marked down (it did not answer at connection).</summary>
    internal void MarkDown(Uri address, string reason)
    {
        var replica = replicas.First(r => r.Client.BaseAddress == address);
        if (replica.MarkDown(reason, options.ReplicaCooldown)) LogDown(replica, reason);
    }

    private async Task<(T Result, string Source)> SendAsync<T>(Func<TeacherClient, CancellationToken, Task<T>> call, CancellationToken ct)
    {
        long? firstFailure = null;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (firstFailure is { } since && time.GetElapsedTime(since) >= options.Patience) throw Unavailable(time.GetElapsedTime(since));
            var replica = Pick(out var probes, out var nextProbeIn);
            if (replica is null)
            {
                firstFailure ??= time.GetTimestamp();
                var left = options.Patience - time.GetElapsedTime(firstFailure.Value);
                await WaitForReplicaAsync(probes, nextProbeIn < left ? nextProbeIn : left, ct).ConfigureAwait(false);
                continue;
            }

            replica.Begin();
            T result;
            try
            {
                result = await call(replica.Client, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (IsReplicaFault(e, ct))
            {
                firstFailure ??= time.GetTimestamp();
                if (replica.Fail(e, options.ReplicaCooldown)) LogDown(replica, e.Message);
                continue;
            }
            catch
            {
                replica.End(succeeded: false);
                throw;
            }
            replica.End(succeeded: true);
            return (result, replica.Name);
        }
    }

    /// <summary>
    /// The up replica with the fewest requests in flight, ties broken in turn; starts the probes that are due. When none
    /// is up, <paramref name="probes"/> holds the running probes and <paramref name="nextProbeIn"/> when the next is due.
    /// </summary>
    private TeacherReplica? Pick(out List<Task> probes, out TimeSpan nextProbeIn)
    {
        probes = [];
        nextProbeIn = options.ReplicaCooldown;
        var start = (int)((uint)Interlocked.Increment(ref turn) % (uint)replicas.Length);
        TeacherReplica? best = null;
        var bestLoad = int.MaxValue;
        for (var i = 0; i < replicas.Length; i++)
        {
            var replica = replicas[(start + i) % replicas.Length];
            if (replica.IsUp)
            {
                var load = replica.InFlight;
                if (load < bestLoad) (best, bestLoad) = (replica, load);
                continue;
            }
            var probe = replica.ProbeIfDue(options.ReplicaCooldown, CameBack, out var dueIn);
            if (probe is not null) probes.Add(probe);
            else if (dueIn < nextProbeIn) nextProbeIn = dueIn;
        }
        return best;
    }

    private async Task WaitForReplicaAsync(List<Task> probes, TimeSpan longest, CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var delay = Task.Delay(longest > TimeSpan.Zero ? longest : TimeSpan.Zero, time, stop.Token);
        await Task.WhenAny([delay, .. probes]).ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();
    }

    private void LogDown(TeacherReplica replica, string reason) =>
        logger.LogWarning("Teacher replica {Replica} is down ({Error}); {Up} of {Count} replicas up.",
            replica.Name, reason, replicas.Count(r => r.IsUp), replicas.Length);

    private void CameBack(TeacherReplica replica) =>
        logger.LogInformation("Teacher replica {Replica} is back up; {Up} of {Count} replicas up.",
            replica.Name, replicas.Count(r => r.IsUp), replicas.Length);

    private TeacherUnavailableException Unavailable(TimeSpan waited) =>
        new($"No replica of teacher '{Model.Name}' answered a request for {waited.TotalSeconds:0} s (patience {options.Patience.TotalSeconds:0} s): " +
            string.Join("; ", replicas.Select(r => r.Describe())));

    /// <summary>A failure another replica, or the same one later, may not have: not the request's fault, not the caller's cancellation.</summary>
    private static bool IsReplicaFault(Exception error, CancellationToken ct) => error switch
    {
        OperationCanceledException => !ct.IsCancellationRequested,
        TeacherRequestException rejected => rejected.IsReplicaFault,
        HttpRequestException or ExecutionRejectedException or IOException => true,
        _ => false,
    };
}
