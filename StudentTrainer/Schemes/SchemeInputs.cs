using static TorchSharp.torch;

namespace Distill.StudentTrainer.Schemes;

/// <summary>Argument checks of the scheme tensors, with messages that name the offending tensor.</summary>
internal static class SchemeInputs
{
    public static void FloatingPoint(Tensor tensor, string name)
    {
        ArgumentNullException.ThrowIfNull(tensor, name);
        if (!is_floating_point(tensor))
            throw new ArgumentException($"{name} must be a floating-point tensor, got {Describe(tensor)}", name);
    }

    public static void SameShape(Tensor tensor, Tensor like, string name, string likeName)
    {
        if (!tensor.shape.SequenceEqual(like.shape))
            throw new ArgumentException($"{name} {Describe(tensor)} must be shaped like {likeName} {Shape(like)}", name);
    }

    /// <summary>Token ids (…) for distributions (…, V): int64, in [0, V) is left to the gather.</summary>
    public static void Tokens(Tensor tokens, Tensor distribution, string name)
    {
        ArgumentNullException.ThrowIfNull(tokens, name);
        if (tokens.dtype != ScalarType.Int64 || !tokens.shape.SequenceEqual(distribution.shape[..^1]))
            throw new ArgumentException(
                $"{name} must be an int64 tensor shaped like the distributions without their last dimension {Shape(distribution)}, got {Describe(tokens)}",
                name);
    }

    public static void Mask(Tensor mask, Tensor like, string likeName)
    {
        ArgumentNullException.ThrowIfNull(mask);
        if (mask.dtype != ScalarType.Bool || !mask.shape.SequenceEqual(like.shape))
            throw new ArgumentException($"mask must be a bool tensor shaped like {likeName} {Shape(like)}, got {Describe(mask)}", nameof(mask));
    }

    public static void TwoDimensional(Tensor tensor, string name)
    {
        if (tensor.dim() != 2) throw new ArgumentException($"{name} must be (B, T), got {Describe(tensor)}", name);
    }

    private static string Shape(Tensor tensor) => $"({string.Join(", ", tensor.shape)})";

    private static string Describe(Tensor tensor) => $"{tensor.dtype} {Shape(tensor)}";
}
