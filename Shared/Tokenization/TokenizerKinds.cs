namespace Distill.Shared.Tokenization;

/// <summary>The tokenizer families a model folder's tokenizer is reported as (<see cref="TokenizerDescription.Kind"/>).</summary>
public static class TokenizerKinds
{
    /// <summary>GPT-2 style BPE over the 256 byte symbols (<c>tokenizer.json</c> with ByteLevel, or <c>vocab.json</c> + <c>merges.txt</c>).</summary>
    public const string ByteLevelBpe = "byte-level-bpe";

    /// <summary>SentencePiece BPE (Llama 2, Mistral): a SentencePiece <c>tokenizer.model</c>, or a <c>tokenizer.json</c> with Metaspace or byte fallback.</summary>
    public const string SentencePieceBpe = "sentencepiece-bpe";

    /// <summary>SentencePiece unigram (T5 style): a SentencePiece <c>tokenizer.model</c>, or a <c>tokenizer.json</c> whose model is Unigram.</summary>
    public const string SentencePieceUnigram = "sentencepiece-unigram";

    /// <summary>A tiktoken rank file: lines of base64 token bytes and a rank (<c>*.tiktoken</c>, or Llama 3's <c>tokenizer.model</c>).</summary>
    public const string Tiktoken = "tiktoken";

    /// <summary>Tokenizer files of another family, or files that could not be read.</summary>
    public const string Unknown = "unknown";

    /// <summary>The folder holds no tokenizer files.</summary>
    public const string None = "none";
}
