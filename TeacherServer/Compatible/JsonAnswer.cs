using System.IO.Pipelines;
using System.Text.Json;

namespace Distill.TeacherServer.Compatible;

/// <summary>A JSON answer of the compatible endpoints, written straight onto the response's pipe.</summary>
public abstract class JsonAnswer : IResult
{
    protected virtual int StatusCode => StatusCodes.Status200OK;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = StatusCode;
        response.ContentType = "application/json";
        await using var json = new Utf8JsonWriter(response.BodyWriter);
        if (await WriteAsync(json, response.BodyWriter, httpContext.RequestAborted))
        {
            await json.FlushAsync(httpContext.RequestAborted);
        }
    }

    /// <returns>false when the client went away part way (nothing more is written).</returns>
    protected abstract Task<bool> WriteAsync(Utf8JsonWriter json, PipeWriter destination, CancellationToken cancellation);
}
