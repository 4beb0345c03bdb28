namespace Distill.Shared.Tokenization;

/// <summary>What a model folder's tokenizer is: what a teacher server reports and a trainer compares with its student's.</summary>
/// <param name="Kind">One of <see cref="TokenizerKinds"/>.</param>
/// <param name="Fingerprint">
/// Lowercase hex SHA-256; equal fingerprints mean equal token ids. <c>tokenizer.json</c> and <c>vocab.json</c> +
/// <c>merges.txt</c>: everything that decides ids, as <see cref="LoadedTokenizer.Fingerprint"/> computes it
/// (<see cref="TokenizerFingerprint"/>); <c>tokenizer.model</c> and tiktoken files: the kind and the token → id pairs
/// (<see cref="TokenizerFingerprint.OfTokenIds"/>). Null when there is no tokenizer or its pairs cannot be read.
/// </param>
/// <param name="EosId">The end-of-sequence id the tokenizer files name, if any.</param>
/// <param name="Problem">Why the files could not be read as their kind, when they could not; null otherwise.</param>
public sealed record TokenizerDescription(string Kind, string? Fingerprint, int? EosId, string? Problem = null)
{
    /// <summary>The description of a folder without tokenizer files.</summary>
    public static TokenizerDescription None { get; } = new(TokenizerKinds.None, null, null);
}
