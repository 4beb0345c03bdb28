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

    /// <summary>Accept-header parameter asking for 16-bit ids when the vocabulary fits: <c>…; ids=uint16</c>.</summary>
    public const string IdsParameter = "ids";

    public const string UInt16 = "uint16";
}

/// <summary>How token ids are stored in a binary answer; the value is the byte width of one id.</summary>
public enum IdWidth : byte
{
    UInt16 = 2,
    Int32 = 4,
}

/// <summary>How log-probs are stored in a binary answer; the value is the byte width of one number.</summary>
public enum LogprobPrecision : byte
{
    Float16 = 2,
    Float32 = 4,
}
