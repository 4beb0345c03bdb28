namespace Distill.Shared.Tokenization;

/// <summary>
/// A tokenizer loaded from a model folder by <see cref="TokenizerLoader"/>: Hugging Face's own tokenisation of the
/// folder's <c>tokenizer.json</c> (or of <c>vocab.json</c> + <c>merges.txt</c> read as GPT-2's), with what a trainer checks about it.
/// </summary>
public sealed class LoadedTokenizer
{
    private readonly HuggingFaceTokenizer _tokenizer;
    private readonly TokenOffsetAligner _aligner;

    internal LoadedTokenizer(TokenizerDefinition definition, HuggingFaceTokenizer tokenizer, int? eosId, int? bosId, string fingerprint)
    {
        _tokenizer = tokenizer;
        _aligner = new TokenOffsetAligner(definition);
        Kind = definition.Kind;
        VocabSize = definition.VocabSize;
        EosId = eosId;
        BosId = bosId;
        Fingerprint = fingerprint;
    }

    /// <summary>The tokenizer family, one of <see cref="TokenizerKinds"/>, e.g. <c>"byte-level-bpe"</c>.</summary>
    public string Kind { get; }

    /// <summary>One more than the largest token id, added tokens included.</summary>
    public int VocabSize { get; }

    /// <summary>The end-of-sequence id: <c>config.json</c>'s, else <c>tokenizer_config.json</c>'s, else a conventional end token's.</summary>
    public int? EosId { get; }

    /// <summary>The beginning-of-sequence id <c>tokenizer_config.json</c> or <c>config.json</c> names, if any.</summary>
    public int? BosId { get; }

    /// <summary>Lowercase hex SHA-256 of everything that decides ids (<see cref="TokenizerFingerprint"/>); equal fingerprints mean equal tokenisation.</summary>
    public string Fingerprint { get; }

    /// <summary>
    /// Hugging Face's <c>encode(text, add_special_tokens=False)</c>: no BOS or other post-processor tokens, so texts can
    /// be encoded in chunks. Added and special tokens written in the text become their single id.
    /// </summary>
    public IReadOnlyList<int> Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return _tokenizer.Encode(text);
    }

    /// <summary>Hugging Face's <c>encode(text, add_special_tokens=True)</c>: with the post-processor's tokens (BOS…), for prompts.</summary>
    public IReadOnlyList<int> EncodeWithSpecialTokens(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return _tokenizer.EncodeWithSpecialTokens(text);
    }

    /// <summary>The ids of <see cref="Encode"/>, each with the characters of <paramref name="text"/> it came from.</summary>
    /// <exception cref="NotSupportedException">The tokenizer's normaliser is of a type whose character alignment is not modelled.</exception>
    public IReadOnlyList<TokenSpan> EncodeWithOffsets(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return _aligner.Align(text, _tokenizer.Encode(text));
    }

    /// <summary>Hugging Face's <c>decode(ids)</c>: special tokens kept, spaces not cleaned up; it inverts <see cref="Encode"/> as Hugging Face's does.</summary>
    public string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        return _tokenizer.Decode(ids as IReadOnlyList<int> ?? ids.ToList());
    }
}
