using System.Text.Json;
using Distill.Shared.Wire;

namespace Distill.TeacherServer.Api;

/// <summary>Generate requests: JSON only.</summary>
public sealed class GenerateRequestDecoder : RequestDecoder<GenerateRequest>
{
    public static GenerateRequestDecoder Instance { get; } = new();

    public override string[] MediaTypes { get; } = [WireMediaTypes.Json];

    public override WireEncoding? Encoding(HttpRequest request) =>
        ContentNegotiation.RequestEncoding(request) == WireEncoding.Json ? WireEncoding.Json : null;

    public override GenerateRequest? Decode(ReadOnlySpan<byte> body, WireEncoding encoding) =>
        JsonSerializer.Deserialize(body, WireJsonContext.Default.GenerateRequest);

    public override long DecodedBytes(GenerateRequest request) => TokenArrayBytes(request.Prompts);
}
