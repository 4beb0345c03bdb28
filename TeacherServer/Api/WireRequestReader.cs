using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Distill.Shared.Wire;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Distill.TeacherServer.Api;

/// <summary>Reads and decodes request bodies; a body that cannot be read becomes the ProblemDetails to answer.</summary>
public static class WireRequestReader
{
    public static async Task<BodyRead<TopKRequest>> ReadTopKAsync(HttpRequest http, long limit, CancellationToken cancellation)
    {
        var encoding = ContentNegotiation.RequestEncoding(http);
        if (encoding == WireEncoding.Unsupported)
        {
            return new(null, Problems.UnsupportedMediaType(http.ContentType, WireMediaTypes.Json, WireMediaTypes.TopKBinary));
        }
        var body = await RequestBody.ReadAsync(http, limit, cancellation);
        if (body is null)
        {
            return new(null, Problems.TooLarge(limit));
        }
        try
        {
            var request = encoding == WireEncoding.Binary
                ? TopKBinaryCodec.DecodeRequest(body)
                : JsonSerializer.Deserialize(body, WireJsonContext.Default.TopKRequest);
            return request is null ? new(null, Problems.BadRequest("The body is empty or null.")) : new(request, null);
        }
        catch (Exception e) when (e is JsonException or WireFormatException)
        {
            return new(null, Problems.BadRequest($"The body is not a valid top-k request: {e.Message}"));
        }
    }

    public static async Task<BodyRead<GenerateRequest>> ReadGenerateAsync(HttpRequest http, long limit, CancellationToken cancellation)
    {
        if (ContentNegotiation.RequestEncoding(http) != WireEncoding.Json)
        {
            return new(null, Problems.UnsupportedMediaType(http.ContentType, WireMediaTypes.Json));
        }
        var body = await RequestBody.ReadAsync(http, limit, cancellation);
        if (body is null)
        {
            return new(null, Problems.TooLarge(limit));
        }
        try
        {
            var request = JsonSerializer.Deserialize(body, WireJsonContext.Default.GenerateRequest);
            return request is null ? new(null, Problems.BadRequest("The body is empty or null.")) : new(request, null);
        }
        catch (JsonException e)
        {
            return new(null, Problems.BadRequest($"The body is not a valid generate request: {e.Message}"));
        }
    }
}

/// <summary>A decoded request, or the problem that stopped its decoding.</summary>
public sealed record BodyRead<T>(T? Request, ProblemHttpResult? Problem) where T : class
{
    [MemberNotNullWhen(true, nameof(Problem))]
    [MemberNotNullWhen(false, nameof(Request))]
    public bool Failed => Problem is not null;
}
