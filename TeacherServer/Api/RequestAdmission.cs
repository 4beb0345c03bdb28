using System.Diagnostics.CodeAnalysis;
using Distill.TeacherServer.Hosting;
using Distill.TeacherServer.Models;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Distill.TeacherServer.Api;

/// <summary>
/// The steps every model endpoint takes before running: the model exists, the body decodes, the model's queue
/// admits the request (a lease on the version being served), and the request is valid for that version.
/// </summary>
public static class RequestAdmission
{
    public static async Task<Admission<TRequest>> AdmitAsync<TRequest>(
        string name,
        HttpContext context,
        ModelRegistry registry,
        TeacherServerOptions settings,
        Func<HttpRequest, long, CancellationToken, Task<BodyRead<TRequest>>> read,
        Func<TRequest, LoadedModel, string?> validate,
        CancellationToken cancellation) where TRequest : class
    {
        if (registry.Find(name) is null)
        {
            return Admission<TRequest>.Refused(Problems.UnknownModel(name));
        }
        var body = await read(context.Request, settings.MaxRequestBytes, cancellation);
        if (body.Failed)
        {
            return Admission<TRequest>.Refused(body.Problem);
        }

        var outcome = registry.TryAcquire(name, admit: true, out var lease);
        if (outcome != LeaseOutcome.Acquired)
        {
            return Admission<TRequest>.Refused(QueueRefusal(outcome, context, name, settings));
        }
        if (validate(body.Request, lease!.Model) is { } problem)
        {
            lease.Dispose();
            return Admission<TRequest>.Refused(Problems.BadRequest(problem));
        }
        return new Admission<TRequest>(body.Request, lease, null);
    }

    private static ProblemHttpResult QueueRefusal(LeaseOutcome outcome, HttpContext context, string name, TeacherServerOptions settings)
    {
        if (outcome == LeaseOutcome.QueueFull)
        {
            TeacherMetrics.Rejected.WithLabels(name).Inc();
            return Problems.Busy(context, name, settings.RetryAfterSeconds);
        }
        return Problems.UnknownModel(name);
    }
}

/// <summary>An admitted request with the lease the caller must dispose, or the problem that refused it.</summary>
public sealed record Admission<TRequest>(TRequest? Request, ModelLease? Lease, ProblemHttpResult? Problem) where TRequest : class
{
    [MemberNotNullWhen(true, nameof(Problem))]
    [MemberNotNullWhen(false, nameof(Request), nameof(Lease))]
    public bool Failed => Problem is not null;

    public static Admission<TRequest> Refused(ProblemHttpResult problem) => new(null, null, problem);
}
