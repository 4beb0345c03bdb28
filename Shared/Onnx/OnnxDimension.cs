namespace Distill.Shared.Onnx;

/// <summary>One dimension of a graph input or output: a fixed size or a symbolic (dynamic) name.</summary>
public readonly record struct OnnxDimension
{
    private OnnxDimension(long? size, string? symbol) => (Size, Symbol) = (size, symbol);

    public long? Size { get; }
    public string? Symbol { get; }

    public static implicit operator OnnxDimension(long size) =>
        size >= 0 ? new(size, null) : throw new ArgumentOutOfRangeException(nameof(size), size, "a dimension cannot be negative");

    public static implicit operator OnnxDimension(string symbol) =>
        string.IsNullOrWhiteSpace(symbol) ? throw new ArgumentException("a symbolic dimension needs a name", nameof(symbol)) : new(null, symbol);

    public TensorShapeProto.Types.Dimension ToProto() =>
        Symbol is not null ? new() { DimParam = Symbol }
        : Size is long size ? new() { DimValue = size }
        : throw new InvalidOperationException("a default OnnxDimension has neither a size nor a name");

    public override string ToString() => Symbol ?? Size?.ToString() ?? "?";
}
