using Distill.Shared.Wire;
using Microsoft.Net.Http.Headers;

namespace Distill.TeacherServer.Api;

public enum WireEncoding
{
    Json,
    Binary,
    Unsupported,
}

/// <summary>Picks request and answer encodings from Content-Type and Accept.</summary>
public static class ContentNegotiation
{
    /// <summary>JSON when Content-Type is missing or JSON, binary for the top-k media type.</summary>
    public static WireEncoding RequestEncoding(HttpRequest request)
    {
        if (string.IsNullOrEmpty(request.ContentType))
        {
            return WireEncoding.Json;
        }
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type))
        {
            return WireEncoding.Unsupported;
        }
        return type.MediaType.Value?.ToLowerInvariant() switch
        {
            WireMediaTypes.Json => WireEncoding.Json,
            WireMediaTypes.TopKBinary => WireEncoding.Binary,
            _ => WireEncoding.Unsupported,
        };
    }

    /// <summary>Binary when Accept names the top-k media type (float16 with <c>precision=float16</c>), else JSON.</summary>
    public static (WireEncoding Encoding, LogprobPrecision Precision) AnswerEncoding(HttpRequest request)
    {
        foreach (var accepted in request.GetTypedHeaders().Accept)
        {
            if (string.Equals(accepted.MediaType.Value, WireMediaTypes.TopKBinary, StringComparison.OrdinalIgnoreCase))
            {
                var precision = accepted.Parameters.Any(p =>
                    p.Name.Equals(WireMediaTypes.PrecisionParameter, StringComparison.OrdinalIgnoreCase)
                    && p.Value.Equals(WireMediaTypes.Float16, StringComparison.OrdinalIgnoreCase));
                return (WireEncoding.Binary, precision ? LogprobPrecision.Float16 : LogprobPrecision.Float32);
            }
        }
        return (WireEncoding.Json, LogprobPrecision.Float32);
    }
}
