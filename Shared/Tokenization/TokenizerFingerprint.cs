using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Distill.Shared.Tokenization;

/// <summary>
/// Lowercase hex SHA-256 of a canonical form of a byte-level BPE vocabulary: every (id, token) by ascending id,
/// then every merge in order, strings UTF-8 and length-prefixed. It does not depend on the file format
/// the vocabulary came from, so two tokenizers with equal fingerprints encode alike.
/// </summary>
public static class TokenizerFingerprint
{
    /// <summary>Fingerprint of <paramref name="vocabulary"/>.</summary>
    public static string Compute(BpeVocabulary vocabulary)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        AppendString(hash, "byte-level-bpe/v1");
        AppendInt(hash, vocabulary.Vocab.Count);
        foreach (var (token, id) in vocabulary.Vocab.OrderBy(e => e.Value))
        {
            AppendInt(hash, id);
            AppendString(hash, token);
        }
        AppendInt(hash, vocabulary.Merges.Count);
        foreach (var merge in vocabulary.Merges)
        {
            AppendString(hash, merge.Left);
            AppendString(hash, merge.Right);
        }
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
