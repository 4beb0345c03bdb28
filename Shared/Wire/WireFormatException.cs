namespace Distill.Shared.Wire;

/// <summary>A binary message that does not follow <see cref="TopKBinaryCodec"/>'s layout.</summary>
public sealed class WireFormatException(string message) : FormatException(message);
