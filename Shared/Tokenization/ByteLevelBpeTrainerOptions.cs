namespace Distill.Shared.Tokenization;

/// <summary>Settings of <see cref="ByteLevelBpeTrainer"/>.</summary>
/// <param name="VocabSize">Total vocabulary: 256 byte symbols + merges + special tokens.</param>
public sealed record ByteLevelBpeTrainerOptions(int VocabSize)
{
    /// <summary>The GPT-2 end-of-text token.</summary>
    public const string EndOfText = "<|endoftext|>";

    /// <summary>A pair seen fewer times than this is never merged (training then stops early).</summary>
    public int MinPairFrequency { get; init; } = 2;

    /// <summary>Tokens kept whole in text and given the last ids, in this order.</summary>
    public IReadOnlyList<string> SpecialTokens { get; init; } = [EndOfText];

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(SpecialTokens);
        if (SpecialTokens.Any(string.IsNullOrEmpty))
            throw new ArgumentException("special tokens must be non-empty", nameof(SpecialTokens));
        if (SpecialTokens.Distinct(StringComparer.Ordinal).Count() != SpecialTokens.Count)
            throw new ArgumentException("special tokens must be distinct", nameof(SpecialTokens));
        int minimum = ByteLevelAlphabet.Size + SpecialTokens.Count + 1;
        ArgumentOutOfRangeException.ThrowIfLessThan(VocabSize, minimum, nameof(VocabSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(MinPairFrequency, 1, nameof(MinPairFrequency));
    }
}
