using Distill.Shared.Wire;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Distill.TeacherServer.Api;

/// <summary>A top-k answer written to the response in pieces (binary or JSON), never encoded whole in memory first.</summary>
public sealed class TopKAnswer(TopKResult result, WireEncoding encoding, LogprobPrecision precision, IdWidth ids = IdWidth.Int32) : IResult
{
    /// <summary>Bytes encoded between two flushes of a binary answer.</summary>
    private const int PieceBytes = 256 * 1024;

    public TopKResult Result => result;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        var cancellation = httpContext.RequestAborted;
        response.StatusCode = StatusCodes.Status200OK;
        if (encoding == WireEncoding.Binary)
        {
            response.ContentType = WireMediaTypes.TopKBinary;
            response.ContentLength = TopKBinaryCodec.ResponseLength(result, precision, ids);
            foreach (var _ in TopKBinaryCodec.WriteResponse(result, precision, response.BodyWriter, PieceBytes, ids))
            {
                var flushed = await response.BodyWriter.FlushAsync(cancellation);
                if (flushed.IsCompleted || flushed.IsCanceled)
                {
                    return;
                }
            }
            return;
        }
        response.ContentType = "application/json; charset=utf-8";
        var encoder = httpContext.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions.Encoder;
        await TopKJsonWriter.WriteAsync(result, response.BodyWriter, encoder, cancellation);
    }
}
