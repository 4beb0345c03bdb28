namespace Distill.StudentTrainer.Teacher;

/// <summary>Per-request flags read by the teacher's resilience pipeline.</summary>
internal static class TeacherRequestOptions
{
    private static readonly HttpRequestOptionsKey<bool> SingleAttemptKey = new("Distill.Teacher.SingleAttempt");

    /// <summary>Marks a request (a readiness probe) that must not be retried: its caller decides when to try again.</summary>
    public static void MarkSingleAttempt(HttpRequestMessage request) => request.Options.Set(SingleAttemptKey, true);

    public static bool IsSingleAttempt(HttpRequestMessage? request) =>
        request is not null && request.Options.TryGetValue(SingleAttemptKey, out var single) && single;
}
