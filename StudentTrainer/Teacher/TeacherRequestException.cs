using System.Net;

namespace Distill.StudentTrainer.Teacher;

/// <summary>A teacher answered with an error status; <see cref="Detail"/> is the server's ProblemDetails detail.</summary>
public sealed class TeacherRequestException(Uri requestUri, HttpStatusCode statusCode, string? title, string? detail)
    : InvalidOperationException(Describe(requestUri, statusCode, title, detail))
{
    public Uri RequestUri { get; } = requestUri;

    public HttpStatusCode StatusCode { get; } = statusCode;

    public string? Title { get; } = title;

    public string? Detail { get; } = detail;

    /// <summary>
    /// True when another replica (or the same one later) may answer: 5xx, 408, 429, and 404 (that server does not hold
    /// the model right now). Other 4xx mean the request itself is wrong and fail everywhere.
    /// </summary>
    public bool IsReplicaFault => (int)StatusCode >= 500
        || StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests or HttpStatusCode.NotFound;

    private static string Describe(Uri uri, HttpStatusCode status, string? title, string? detail)
    {
        var reason = detail ?? title ?? status.ToString();
        return $"The teacher at {uri.GetLeftPart(UriPartial.Authority)} answered {uri.AbsolutePath} with {(int)status} {status}: {reason}";
    }
}
