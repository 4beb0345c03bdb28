using System.Text.Json;
using Distill.TeacherServer.Compatible;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Distill.TeacherServer.Tests;

/// <summary>Every status the shared admission answers becomes vLLM's error body with that status as its code.</summary>
public sealed class OpenAiErrorTests
{
    [Theory]
    [InlineData(400, "BadRequestError")]
    [InlineData(401, "AuthenticationError")]
    [InlineData(404, "NotFoundError")]
    [InlineData(413, "RequestTooLargeError")]
    [InlineData(415, "UnsupportedMediaTypeError")]
    [InlineData(429, "RateLimitError")]
    [InlineData(503, "ServiceUnavailableError")]
    public async Task A_problem_is_written_as_vllms_error_body(int status, string type)
    {
        var context = new DefaultHttpContext();
        var body = new MemoryStream();
        context.Response.Body = body;
        await new OpenAiError(new ProblemDetails { Status = status, Title = "title", Detail = "what went wrong" }).ExecuteAsync(context);
        await context.Response.BodyWriter.FlushAsync();

        Assert.Equal(status, context.Response.StatusCode);
        var error = JsonDocument.Parse(body.ToArray()).RootElement.GetProperty("error");
        Assert.Equal("what went wrong", error.GetProperty("message").GetString());
        Assert.Equal(type, error.GetProperty("type").GetString());
        Assert.Equal(JsonValueKind.Null, error.GetProperty("param").ValueKind);
        Assert.Equal(status, error.GetProperty("code").GetInt32());
    }
}
