using System.IO.Pipelines;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Distill.TeacherServer.Compatible;

/// <summary>
/// vLLM's error body, {"error": {"message", "type", "param", "code"}}, with the HTTP status as the code, for a problem
/// the shared admission path (or the API key filter) answered; its status and headers (Retry-After) are kept.
/// </summary>
public sealed class OpenAiError(ProblemDetails problem) : JsonAnswer
{
    protected override int StatusCode => problem.Status ?? StatusCodes.Status500InternalServerError;

    public string Message => problem.Detail ?? problem.Title ?? "The request failed.";

    /// <summary>vLLM's type names are its exception classes' (BadRequestError, NotFoundError…).</summary>
    public string Type => StatusCode switch
    {
        StatusCodes.Status400BadRequest => "BadRequestError",
        StatusCodes.Status401Unauthorized => "AuthenticationError",
        StatusCodes.Status404NotFound => "NotFoundError",
        StatusCodes.Status413PayloadTooLarge => "RequestTooLargeError",
        StatusCodes.Status415UnsupportedMediaType => "UnsupportedMediaTypeError",
        StatusCodes.Status429TooManyRequests => "RateLimitError",
        StatusCodes.Status503ServiceUnavailable => "ServiceUnavailableError",
        _ => "InternalServerError",
    };

    protected override Task<bool> WriteAsync(Utf8JsonWriter json, PipeWriter destination, CancellationToken cancellation)
    {
        json.WriteStartObject();
        json.WriteStartObject("error");
        json.WriteString("message", Message);
        json.WriteString("type", Type);
        json.WriteNull("param");
        json.WriteNumber("code", StatusCode);
        json.WriteEndObject();
        json.WriteEndObject();
        return Task.FromResult(true);
    }
}

/// <summary>Turns the ProblemDetails answers of the endpoints it wraps (and of the filters inside it) into <see cref="OpenAiError"/>.</summary>
public sealed class OpenAiErrorFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var result = await next(context);
        var inner = result is INestedHttpResult nested ? nested.Result : result;
        return inner is ProblemHttpResult problem ? new OpenAiError(problem.ProblemDetails) : result;
    }
}
