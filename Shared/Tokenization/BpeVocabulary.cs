namespace Distill.Shared.Tokenization;

/// <summary>The data of a byte-level BPE tokenizer, as stored in <c>vocab.json</c> + <c>merges.txt</c>.</summary>
/// <param name="Vocab">Token string to id.</param>
/// <param name="Merges">Merge rules in priority order.</param>
/// <param name="SpecialTokens">Tokens matched whole in text (a subset of <paramref name="Vocab"/>).</param>
public sealed record BpeVocabulary(
    IReadOnlyDictionary<string, int> Vocab,
    IReadOnlyList<BpeMerge> Merges,
    IReadOnlyDictionary<string, int> SpecialTokens)
{
    /// <summary>One more than the largest id.</summary>
    public int Size => Vocab.Count == 0 ? 0 : Vocab.Values.Max() + 1;
}
