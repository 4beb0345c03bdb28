using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Distill.Shared.Wire;
using Distill.TeacherServer.Hosting;
using Distill.TeacherServer.Memory;
using Distill.TeacherServer.Models;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Distill.TeacherServer.Api;

/// <summary>
/// The steps every model endpoint takes before running, cheapest first, so that nothing is read or held for a request
/// that will be refused: the model exists (404), the claimed length is allowed (413), the media type is read (415), the
/// model name's queue has room (429, a lease on the version being served); then the body is read within the body budget
/// (429 when exhausted), decoded and validated against that version (400); last the answer's bytes are taken from the
/// work budget, waiting behind earlier requests (413 when the answer alone is larger than the budget). A request that
/// names its model in the body (the compatible endpoints) is read and decoded before its model is found and its queue entered.
/// </summary>
public static class RequestAdmission
{
    /// <param name="route">The model named by the URL, or how the decoded body names it (its body is then read before its queue is entered).</param>
    /// <param name="answerBytes">The managed memory the answer will hold, taken from the work budget until the response is sent.</param>
    public static async Task<Admission<TRequest>> AdmitAsync<TRequest>(
        ModelRoute<TRequest> route,
        HttpContext context,
        ModelRegistry registry,
        MemoryBudgets budgets,
        TeacherServerOptions settings,
        RequestDecoder<TRequest> decoder,
        Func<TRequest, LoadedModel, string?> validate,
        Func<TRequest, LoadedModel, long> answerBytes,
        ILogger logger,
        CancellationToken cancellation) where TRequest : class
    {
        var (routeName, modelOf) = route;
        var http = context.Request;
        if (routeName is not null && registry.Find(routeName) is null)
        {
            return Admission<TRequest>.Refused(Problems.UnknownModel(routeName));
        }
        if (http.ContentLength > budgets.MaxBodyBytes)
        {
            return Admission<TRequest>.Refused(Problems.TooLarge(budgets.MaxBodyBytes));
        }
        if (decoder.Encoding(http) is not { } encoding)
        {
            return Admission<TRequest>.Refused(Problems.UnsupportedMediaType(http.ContentType, decoder.MediaTypes));
        }
        ModelLease? lease = null;
        if (routeName is not null && Enter(routeName, context, registry, settings, out lease) is { } queueRefusal)
        {
            return Admission<TRequest>.Refused(queueRefusal);
        }

        var body = new BudgetCharge(budgets.Bodies);
        var work = new BudgetCharge(budgets.Work);
        context.Response.RegisterForDispose(work); // the answer is written after the handler returns
        ProblemHttpResult? refusal = null;
        var admitted = false;
        try
        {
            var read = await ReadAsync(context, budgets, settings, decoder, encoding, body, routeName ?? "", logger, cancellation);
            if (read.Request is not { } request)
            {
                refusal = read.Problem!;
            }
            else if (lease is null && EnterChosen(modelOf!(request, registry), context, registry, settings, out lease) is { } notEntered)
            {
                refusal = notEntered;
            }
            else if (validate(request, lease!.Model) is { } invalid)
            {
                refusal = Problems.BadRequest(invalid);
            }
            else if (answerBytes(request, lease.Model) is var bytes && bytes > budgets.Work.Capacity)
            {
                TeacherMetrics.AnswersTooLarge.WithLabels(lease.Model.Name).Inc();
                refusal = Problems.AnswerTooLarge(bytes, budgets.Work.Capacity);
            }
            else
            {
                await work.AddAsync(bytes, cancellation);
                admitted = true;
                return new Admission<TRequest>(request, lease, body, null);
            }
        }
        finally
        {
            if (!admitted)
            {
                work.Dispose();
                body.Dispose();
                lease?.Dispose();
            }
        }
        return Admission<TRequest>.Refused(refusal!);
    }

    private static ProblemHttpResult? EnterChosen(ModelChoice choice, HttpContext context, ModelRegistry registry, TeacherServerOptions settings, out ModelLease? lease)
    {
        lease = null;
        return choice.Problem ?? Enter(choice.Name!, context, registry, settings, out lease);
    }

    /// <summary>Takes a place in the model's queue (a lease on the version being served), or the 404/429 that refuses it.</summary>
    private static ProblemHttpResult? Enter(string name, HttpContext context, ModelRegistry registry, TeacherServerOptions settings, out ModelLease? lease)
    {
        var outcome = registry.TryAcquire(name, admit: true, out lease);
        return outcome == LeaseOutcome.Acquired ? null : QueueRefusal(outcome, context, name, settings);
    }

    private static async Task<BodyRead<TRequest>> ReadAsync<TRequest>(HttpContext context, MemoryBudgets budgets, TeacherServerOptions settings,
        RequestDecoder<TRequest> decoder, WireEncoding encoding, BudgetCharge charge, string name, ILogger logger, CancellationToken cancellation)
        where TRequest : class
    {
        var received = await RequestBody.ReadAsync(context.Request, charge, budgets.MaxBodyBytes, cancellation);
        switch (received.Outcome)
        {
            case BodyOutcome.TooLarge:
                return new(null, Problems.TooLarge(budgets.MaxBodyBytes));
            case BodyOutcome.BudgetExhausted:
                TeacherMetrics.Rejected.WithLabels(name).Inc();
                return new(null, Problems.BodiesBusy(context, budgets.Bodies.Capacity, settings.RetryAfterSeconds));
            case BodyOutcome.EndedEarly:
                logger.LogInformation("The upload of {Method} {Path} ended early: {Reason}", context.Request.Method, context.Request.Path, received.Error!.Message);
                return new(null, Problems.UploadEnded(received.Error));
        }
        TRequest? request;
        try
        {
            request = decoder.Decode(received.Bytes, encoding);
        }
        catch (Exception e) when (e is JsonException or WireFormatException)
        {
            return new(null, Problems.BadRequest($"The body is not a valid request: {e.Message}"));
        }
        if (request is null)
        {
            return new(null, Problems.BadRequest("The body is empty or null."));
        }
        // From here on the decoded ids, not the raw bytes, are what the request holds.
        if (!charge.TryResize(decoder.DecodedBytes(request)))
        {
            TeacherMetrics.Rejected.WithLabels(name).Inc();
            return new(null, Problems.BodiesBusy(context, budgets.Bodies.Capacity, settings.RetryAfterSeconds));
        }
        return new(request, null);
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

/// <summary>
/// An admitted request with what it holds until disposed (the model lease, its queue slot and the body budget of its
/// token ids; its work budget is given back when the response has been sent), or the problem that refused it.
/// </summary>
public sealed record Admission<TRequest>(TRequest? Request, ModelLease? Lease, BudgetCharge? Body, ProblemHttpResult? Problem) : IDisposable
    where TRequest : class
{
    [MemberNotNullWhen(true, nameof(Problem))]
    [MemberNotNullWhen(false, nameof(Request), nameof(Lease))]
    public bool Failed => Problem is not null;

    public static Admission<TRequest> Refused(ProblemHttpResult problem) => new(null, null, null, problem);

    public void Dispose()
    {
        Body?.Dispose();
        Lease?.Dispose();
    }
}

/// <summary>Where a request names its model: the URL (<see cref="Named"/>) or its body (<see cref="FromBody"/>).</summary>
public sealed record ModelRoute<TRequest>(string? Name, Func<TRequest, ModelRegistry, ModelChoice>? ModelOf) where TRequest : class
{
    public static ModelRoute<TRequest> Named(string name) => new(name, null);

    public static ModelRoute<TRequest> FromBody(Func<TRequest, ModelRegistry, ModelChoice> modelOf) => new(null, modelOf);
}

/// <summary>The model a request names in its body, or the problem why none can be chosen.</summary>
public sealed record ModelChoice(string? Name, ProblemHttpResult? Problem)
{
    public static ModelChoice Of(string name) => new(name, null);

    public static ModelChoice Refused(ProblemHttpResult problem) => new(null, problem);
}

/// <summary>A decoded request, or the problem that stopped its reading or decoding.</summary>
public sealed record BodyRead<T>(T? Request, ProblemHttpResult? Problem) where T : class;
