using Microsoft.ML.Tokenizers;

namespace Distill.Shared.Tokenization;

/// <summary>A tokenizer loaded from a model folder by <see cref="TokenizerLoader"/>, with what a trainer checks about it.</summary>
public sealed class LoadedTokenizer
{
    internal LoadedTokenizer(Tokenizer tokenizer, string kind, int vocabSize, int? eosId, string fingerprint)
    {
        Tokenizer = tokenizer;
        Kind = kind;
        VocabSize = vocabSize;
        EosId = eosId;
        Fingerprint = fingerprint;
    }

    /// <summary>The Microsoft.ML.Tokenizers tokenizer.</summary>
    public Tokenizer Tokenizer { get; }

    /// <summary>The tokenizer family, e.g. <c>"byte-level-bpe"</c>.</summary>
    public string Kind { get; }

    /// <summary>One more than the largest token id.</summary>
    public int VocabSize { get; }

    /// <summary>The end-of-sequence id, if the folder defines one.</summary>
    public int? EosId { get; }

    /// <summary>Lowercase hex SHA-256 of the vocabulary and merges; equal fingerprints mean equal tokenisation.</summary>
    public string Fingerprint { get; }

    /// <summary>The ids of <paramref name="text"/>; special tokens in the text become their single id.</summary>
    public IReadOnlyList<int> Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Tokenizer.EncodeToIds(text);
    }

    /// <summary>The text of <paramref name="ids"/>.</summary>
    public string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        return Tokenizer.Decode(ids);
    }
}
