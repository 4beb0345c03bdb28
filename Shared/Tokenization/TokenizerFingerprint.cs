using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Distill.Shared.Tokenization;

/// <summary>
/// Lowercase hex SHA-256 fingerprints of tokenizers. A Hugging Face tokenizer (a <c>tokenizer.json</c>, or
/// <c>vocab.json</c> + <c>merges.txt</c> read as the equivalent GPT-2 <c>tokenizer.json</c>) is fingerprinted by its
/// behaviour: the canonical form of everything that decides ids (<see cref="TokenizerCanonicalForm"/>), so equal
/// fingerprints mean equal ids and tokenizers that split differently never match, whatever file format they came in.
/// </summary>
public static class TokenizerFingerprint
{
    private const string Version = "hf-tokenizer/v2";

    /// <summary>Fingerprint of <paramref name="vocabulary"/> read as a GPT-2 style byte-level BPE.</summary>
    public static string Compute(BpeVocabulary vocabulary)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        return Of(TokenizerDefinition.FromByteLevel(vocabulary, "vocabulary"));
    }

    /// <summary>Fingerprint of the canonical form of a <c>tokenizer.json</c> document.</summary>
    internal static string Of(TokenizerDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        AppendString(hash, Version);
        hash.AppendData(JsonSerializer.SerializeToUtf8Bytes(TokenizerCanonicalForm.Of(definition)));
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>
    /// Fingerprint of a tokenizer of another kind, over the kind and its token → id pairs (each distinct pair once, by
    /// ascending id, then ordinal token), so the same vocabulary read from different file formats has one fingerprint.
    /// </summary>
    /// <param name="kind">One of <see cref="TokenizerKinds"/>; tokenizers of different kinds never share a fingerprint.</param>
    public static string OfTokenIds(string kind, IEnumerable<KeyValuePair<string, int>> pairs)
    {
        ArgumentException.ThrowIfNullOrEmpty(kind);
        ArgumentNullException.ThrowIfNull(pairs);
        var ordered = pairs.Distinct().OrderBy(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).ToList();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        AppendString(hash, kind + "/token-ids/v1");
        AppendInt(hash, ordered.Count);
        foreach (var (token, id) in ordered)
        {
            AppendInt(hash, id);
            AppendString(hash, token);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static void AppendInt(IncrementalHash hash, int value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
        hash.AppendData(bytes);
    }

    private static void AppendString(IncrementalHash hash, string value)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(value);
        AppendInt(hash, bytes.Length);
        hash.AppendData(bytes);
    }
}
