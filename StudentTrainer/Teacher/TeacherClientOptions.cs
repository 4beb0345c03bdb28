using Distill.Shared.Wire;

namespace Distill.StudentTrainer.Teacher;

/// <summary>How the trainer talks to its teacher replicas: encoding, retries, circuit breaker, timeouts, fail-over.</summary>
public sealed record TeacherClientOptions
{
    /// <summary>Width of the log-probs in binary answers; float16 saves a quarter of the bytes and keeps ~3 digits.</summary>
    public LogprobPrecision Precision { get; init; } = LogprobPrecision.Float32;

    /// <summary>Sent as <c>X-Api-Key</c> when the servers require a key.</summary>
    public string? ApiKey { get; init; }

    /// <summary>Time allowed to one HTTP attempt, sized for a large batch on a busy CPU teacher.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Time allowed to one request on one replica, all attempts and backoff delays included.</summary>
    public TimeSpan TotalTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Retries on one replica after a connection error, timeout, 408, 429 or 5xx (4xx others are never retried).</summary>
    public int MaxRetryAttempts { get; init; } = 4;

    /// <summary>First backoff delay; it doubles per retry, with jitter. A <c>Retry-After</c> header takes precedence.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(0.5);

    /// <summary>Longest backoff delay between two attempts.</summary>
    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>The circuit of one replica opens when at least this share of its attempts failed in the sampling window…</summary>
    public double CircuitFailureRatio { get; init; } = 0.5;

    /// <summary>…and the window held at least this many attempts.</summary>
    public int CircuitMinimumThroughput { get; init; } = 8;

    public TimeSpan CircuitSamplingDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an open circuit fails attempts at once before letting a trial through.</summary>
    public TimeSpan CircuitBreakDuration { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>A replica marked down is probed (<c>GET /health/ready</c>) again after this long.</summary>
    public TimeSpan ReplicaCooldown { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Time allowed to one readiness probe.</summary>
    public TimeSpan ProbeTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a request waits while every replica is down (e.g. a teacher restart) before it fails.</summary>
    public TimeSpan Patience { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Fail (<see cref="TeacherVersionChangedException"/>) instead of only counting when the teacher's version changes.</summary>
    public bool PinVersion { get; init; }

    /// <exception cref="ArgumentException">A value is out of range.</exception>
    public void Validate()
    {
        if (!Enum.IsDefined(Precision)) throw new ArgumentException($"unknown log-prob precision {Precision}");
        RequirePositive(AttemptTimeout, "attempt timeout");
        RequirePositive(TotalTimeout, "total timeout");
        if (TotalTimeout < AttemptTimeout)
            throw new ArgumentException($"the total timeout ({TotalTimeout}) must be at least the attempt timeout ({AttemptTimeout})");
        if (MaxRetryAttempts is < 0 or > 100) throw new ArgumentException($"retry attempts must be in [0, 100], got {MaxRetryAttempts}");
        RequirePositive(RetryBaseDelay, "retry base delay");
        if (RetryMaxDelay < RetryBaseDelay)
            throw new ArgumentException($"the longest retry delay ({RetryMaxDelay}) must be at least the base delay ({RetryBaseDelay})");
        if (!(CircuitFailureRatio is > 0 and <= 1)) throw new ArgumentException($"circuit failure ratio must be in (0, 1], got {CircuitFailureRatio}");
        if (CircuitMinimumThroughput < 2) throw new ArgumentException($"circuit minimum throughput must be ≥ 2, got {CircuitMinimumThroughput}");
        if (CircuitSamplingDuration < TimeSpan.FromSeconds(0.5)) throw new ArgumentException("circuit sampling duration must be ≥ 0.5 s");
        if (CircuitBreakDuration < TimeSpan.FromSeconds(0.5)) throw new ArgumentException("circuit break duration must be ≥ 0.5 s");
        RequirePositive(ReplicaCooldown, "replica cool-down");
        RequirePositive(ProbeTimeout, "probe timeout");
        RequirePositive(Patience, "patience");
    }

    private static void RequirePositive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero) throw new ArgumentException($"{name} must be > 0, got {value}");
    }
}
