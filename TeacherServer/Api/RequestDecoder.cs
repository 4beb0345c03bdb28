namespace Distill.TeacherServer.Api;

/// <summary>How an endpoint reads its request body: the media types it takes, the decoding, and the size of the decoded request.</summary>
public abstract class RequestDecoder<TRequest> where TRequest : class
{
    /// <summary>The media types the endpoint reads, for the 415 message.</summary>
    public abstract string[] MediaTypes { get; }

    /// <summary>The encoding of the body, or null when its Content-Type is not one of <see cref="MediaTypes"/>.</summary>
    public abstract WireEncoding? Encoding(HttpRequest request);

    /// <summary>The request, or null for a JSON null.</summary>
    /// <exception cref="System.Text.Json.JsonException">Malformed JSON.</exception>
    /// <exception cref="Distill.Shared.Wire.WireFormatException">A malformed binary message.</exception>
    public abstract TRequest? Decode(ReadOnlySpan<byte> body, WireEncoding encoding);

    /// <summary>About how many bytes of managed memory the decoded request holds (its token ids and their arrays).</summary>
    public abstract long DecodedBytes(TRequest request);

    /// <summary>Token arrays: 4 bytes an id plus an array header and a reference each.</summary>
    protected static long TokenArrayBytes(int[][]? sequences) =>
        sequences is null ? 0 : 32 + sequences.Sum(s => 32 + 4L * (s?.Length ?? 0));
}
