using Microsoft.AspNetCore.Http.HttpResults;

namespace Distill.TeacherServer.Api;

/// <summary>The ProblemDetails answers of the API.</summary>
public static class Problems
{
    public static ProblemHttpResult BadRequest(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: "The request is invalid.");

    public static ProblemHttpResult UnknownModel(string name) =>
        TypedResults.Problem($"No model named '{name}' is loaded. GET /v1/models lists them.", statusCode: StatusCodes.Status404NotFound, title: "Unknown model.");

    public static ProblemHttpResult TooLarge(long limit) =>
        TypedResults.Problem($"The body is larger than {limit} bytes.", statusCode: StatusCodes.Status413PayloadTooLarge, title: "The request body is too large.");

    public static ProblemHttpResult AnswerTooLarge(long bytes, long limit) =>
        TypedResults.Problem($"The answer would take {bytes} bytes of memory; one request may take at most {limit} bytes (the work budget, WorkBudgetBytes). Send fewer positions or a smaller k.",
            statusCode: StatusCodes.Status413PayloadTooLarge, title: "The answer is too large.");

    public static ProblemHttpResult BodiesBusy(HttpContext context, long budget, int retryAfterSeconds)
    {
        context.Response.Headers.RetryAfter = retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.Problem($"The request bodies being read take the whole body budget of {budget} bytes (BodyBudgetBytes); retry after {retryAfterSeconds} s.",
            statusCode: StatusCodes.Status429TooManyRequests, title: "Too many request bodies at once.");
    }

    /// <summary>The upload stopped (connection closed or reset) or was slower than the minimum data rate; the client will rarely see this.</summary>
    public static ProblemHttpResult UploadEnded(Exception error) =>
        TypedResults.Problem($"The upload ended early: {error.Message}",
            statusCode: error is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status400BadRequest, title: "The request body did not arrive.");

    public static ProblemHttpResult UnsupportedMediaType(string? contentType, params string[] supported) =>
        TypedResults.Problem($"Content-Type '{contentType}' is not supported; use {string.Join(" or ", supported)}.",
            statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type.");

    public static ProblemHttpResult Busy(HttpContext context, string model, int retryAfterSeconds)
    {
        context.Response.Headers.RetryAfter = retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.Problem($"Model '{model}' has too many requests queued; retry after {retryAfterSeconds} s.",
            statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests.");
    }

    public static ProblemHttpResult Unauthorized() =>
        TypedResults.Problem("Send the API key in the X-Api-Key header or as 'Authorization: Bearer <key>'.",
            statusCode: StatusCodes.Status401Unauthorized, title: "A valid API key is required.");

    public static ProblemHttpResult Unavailable(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status503ServiceUnavailable, title: "The model is unavailable.");
}
