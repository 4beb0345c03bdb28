namespace Distill.StudentTrainer.Teacher;

/// <summary>What one replica has done so far, for the trainer's metrics.</summary>
/// <param name="Requests">Requests sent to it (each counted once, whatever the retries inside the HttpClient).</param>
/// <param name="Failures">Requests that failed there and marked it down (connection errors, timeouts, 5xx…).</param>
/// <param name="TimeDown">Total time it spent marked down, the current stretch included.</param>
/// <param name="LastError">The message of the failure that last marked it down.</param>
public sealed record TeacherReplicaStats(Uri Address, bool IsUp, int InFlight, long Requests, long Failures, TimeSpan TimeDown, string? LastError);
