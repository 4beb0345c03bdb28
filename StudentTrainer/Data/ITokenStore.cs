namespace Distill.StudentTrainer.Data;

/// <summary>Where the ids of a <see cref="TokenStream"/> live: an array, or a token file mapped into memory.</summary>
internal interface ITokenStore
{
    int Count { get; }

    /// <summary>Copies <paramref name="destination"/>.Length ids from <paramref name="start"/> on into <paramref name="destination"/>.</summary>
    void CopyTo(int start, Span<int> destination);
}

/// <summary>Ids held in an array.</summary>
internal sealed class ArrayTokens(int[] tokens) : ITokenStore
{
    public int Count => tokens.Length;

    public void CopyTo(int start, Span<int> destination) => tokens.AsSpan(start, destination.Length).CopyTo(destination);
}
