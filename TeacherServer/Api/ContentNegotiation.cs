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

    /// <summary>
    /// Binary when Accept names the top-k media type with a quality above zero and no lower than JSON's (the most
    /// specific range that matches JSON, wildcards included, gives JSON's quality); float16 with <c>precision=float16</c>,
    /// uint16 ids with <c>ids=uint16</c> (honoured when the vocabulary fits 16 bits, else the answer says int32).
    /// JSON otherwise, also when Accept names nothing this server writes.
    /// </summary>
    public static (WireEncoding Encoding, LogprobPrecision Precision, IdWidth Ids) AnswerEncoding(HttpRequest request, int vocabSize)
    {
        var accept = request.GetTypedHeaders().Accept;
        var binary = accept
            .Where(a => string.Equals(a.MediaType.Value, WireMediaTypes.TopKBinary, StringComparison.OrdinalIgnoreCase))
            .MaxBy(a => a.Quality ?? 1);
        if (binary is null || (binary.Quality ?? 1) <= 0 || JsonQuality(accept) > (binary.Quality ?? 1))
        {
            return (WireEncoding.Json, LogprobPrecision.Float32, IdWidth.Int32);
        }
        bool Asks(string name, string value) => binary.Parameters.Any(p =>
            p.Name.Equals(name, StringComparison.OrdinalIgnoreCase) && p.Value.Equals(value, StringComparison.OrdinalIgnoreCase));
        var float16 = Asks(WireMediaTypes.PrecisionParameter, WireMediaTypes.Float16);
        var compactIds = Asks(WireMediaTypes.IdsParameter, WireMediaTypes.UInt16) && vocabSize <= ushort.MaxValue + 1;
        return (WireEncoding.Binary, float16 ? LogprobPrecision.Float16 : LogprobPrecision.Float32, compactIds ? IdWidth.UInt16 : IdWidth.Int32);
    }

    /// <summary>The quality of the most specific range matching application/json (RFC 9110 §12.5.1); 0 when none does.</summary>
    private static double JsonQuality(IList<MediaTypeHeaderValue> accept)
    {
        foreach (var range in new[] { WireMediaTypes.Json, "application/*", "*/*" })
        {
            var matching = accept.Where(a => string.Equals(a.MediaType.Value, range, StringComparison.OrdinalIgnoreCase)).ToList();
            if (matching.Count > 0)
            {
                return matching.Max(a => a.Quality ?? 1);
            }
        }
        return 0;
    }
}
