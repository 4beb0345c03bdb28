namespace Distill.Shared.Wire;

/// <summary>Content types of the teacher wire protocol.</summary>
public static class WireMediaTypes
{
    public const string Json = "application/json";

    /// <summary>The compact little-endian encoding of <see cref="TopKBinaryCodec"/>, for requests and answers.</summary>
    public const string TopKBinary = "application/vnd.distill.topk";

    /// <summary>Accept-header parameter asking for float16 log-probs: <c>application/vnd.distill.topk; precision=float16</c>.</summary>
    public const string PrecisionParameter = "precision";

    public const string Float16 = "float16";
}

/// <summary>How log-probs are stored in a binary answer; the value is the byte width of one number.</summary>
public enum LogprobPrecision : byte
{
    Float16 = 2,
    Float32 = 4,
}
