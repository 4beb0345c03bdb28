using Distill.StudentTrainer.Teacher;

namespace Distill.StudentTrainer.Tests.Teacher;

internal static class TeacherTestOptions
{
    /// <summary>Short delays so that failures, fail-over and recovery happen within a test's time.</summary>
    public static TeacherClientOptions Fast { get; } = new()
    {
        AttemptTimeout = TimeSpan.FromSeconds(20),
        TotalTimeout = TimeSpan.FromSeconds(30),
        MaxRetryAttempts = 2,
        RetryBaseDelay = TimeSpan.FromMilliseconds(20),
        RetryMaxDelay = TimeSpan.FromMilliseconds(100),
        ReplicaCooldown = TimeSpan.FromMilliseconds(200),
        ProbeTimeout = TimeSpan.FromSeconds(1),
        Patience = TimeSpan.FromSeconds(60),
    };
}
