using System.Text.Json;
using Distill.Shared.Wire;

namespace Distill.TeacherServer.Api;

/// <summary>Top-k requests: JSON or the binary encoding of <see cref="TopKBinaryCodec"/>.</summary>
public sealed class TopKRequestDecoder : RequestDecoder<TopKRequest>
{
    public static TopKRequestDecoder Instance { get; } = new();

    public override string[] MediaTypes { get; } = [WireMediaTypes.Json, WireMediaTypes.TopKBinary];

    public override WireEncoding? Encoding(HttpRequest request) =>
        ContentNegotiation.RequestEncoding(request) is var encoding && encoding != WireEncoding.Unsupported ? encoding : null;

    public override TopKRequest? Decode(ReadOnlySpan<byte> body, WireEncoding encoding) =>
        encoding == WireEncoding.Binary ? TopKBinaryCodec.DecodeRequest(body) : JsonSerializer.Deserialize(body, WireJsonContext.Default.TopKRequest);

    public override long DecodedBytes(TopKRequest request) => TokenArrayBytes(request.Sequences);
}
