using System.Text.Json.Serialization;

namespace Distill.Shared.Wire;

/// <summary>What a trainer needs to know about a served teacher before asking it anything.</summary>
/// <param name="Name">Folder name under models/, used in URLs.</param>
/// <param name="Version">Content hash of the folder's files; changes when any file changes.</param>
/// <param name="VocabSize">Size of the logits' last dimension; valid token ids are [0, vocab_size).</param>
/// <param name="ContextLength">Longest sequence accepted.</param>
/// <param name="TokenizerKind">Tokenizer family (<c>Distill.Shared.Tokenization.TokenizerKinds</c>): "byte-level-bpe", "sentencepiece-bpe", "sentencepiece-unigram", "tiktoken", "unknown", or "none" when the folder has no tokenizer files.</param>
/// <param name="TokenizerFingerprint">Hash of the tokenizer's vocabulary; equal fingerprints mean equal token ids; null for "none" and for files whose tokens cannot be read.</param>
/// <param name="EosId">End-of-sequence token id, when known.</param>
public sealed record ModelInfo(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("vocab_size")] int VocabSize,
    [property: JsonPropertyName("context_length")] int ContextLength,
    [property: JsonPropertyName("tokenizer_kind")] string? TokenizerKind,
    [property: JsonPropertyName("tokenizer_fingerprint")] string? TokenizerFingerprint,
    [property: JsonPropertyName("eos_id")] int? EosId);

public sealed record ModelList([property: JsonPropertyName("models")] IReadOnlyList<ModelInfo> Models);
