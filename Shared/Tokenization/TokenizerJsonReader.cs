using System.Text.Json;

namespace Distill.Shared.Tokenization;

/// <summary>
/// Reads the byte-level BPE in a Hugging Face <c>tokenizer.json</c>: <c>model.vocab</c>,
/// <c>model.merges</c> (<c>"a b"</c> strings or <c>["a", "b"]</c> arrays) and <c>added_tokens</c>,
/// which become the special tokens.
/// </summary>
internal static class TokenizerJsonReader
{
    public const string FileName = "tokenizer.json";

    public static BpeVocabulary Read(string path)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            return Read(document.RootElement, path);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not valid JSON: {e.Message}", e);
        }
    }

    private static BpeVocabulary Read(JsonElement root, string path)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"'{path}' has no 'model' object");
        if (model.TryGetProperty("type", out var type) && (type.ValueKind != JsonValueKind.String || type.GetString() != "BPE"))
            throw new InvalidDataException($"'{path}': model type {type.GetRawText()} is not supported, only \"BPE\"");
        if (!TokenizerJsonParts.Mentions(root, "ByteLevel"))
            throw new InvalidDataException($"'{path}': only byte-level BPE is supported (no ByteLevel pre-tokenizer or decoder)");
        if (!model.TryGetProperty("vocab", out var vocabElement))
            throw new InvalidDataException($"'{path}' has no 'model.vocab'");
        if (!model.TryGetProperty("merges", out var mergesElement) || mergesElement.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"'{path}' has no 'model.merges' array");

        Dictionary<string, int> vocab = TokenizerFiles.VocabFromJson(vocabElement, $"'{path}' model.vocab");
        var merges = new List<BpeMerge>(mergesElement.GetArrayLength());
        foreach (var merge in mergesElement.EnumerateArray()) merges.Add(ReadMerge(merge, path, merges.Count));
        var special = ReadAddedTokens(root, vocab, path);
        return new BpeVocabulary(vocab, merges, special);
    }

    private static BpeMerge ReadMerge(JsonElement merge, string path, int index)
    {
        string where = $"'{path}' merge {index}";
        if (merge.ValueKind == JsonValueKind.String)
            return TokenizerFiles.ParseMerge(merge.GetString()!, where);
        if (merge.ValueKind == JsonValueKind.Array && merge.GetArrayLength() == 2
            && merge[0].ValueKind == JsonValueKind.String && merge[1].ValueKind == JsonValueKind.String)
            return TokenizerFiles.ParseMerge($"{merge[0].GetString()} {merge[1].GetString()}", where);
        throw new InvalidDataException($"{where}: expected \"a b\" or [\"a\", \"b\"], got {merge.GetRawText()}");
    }

    private static Dictionary<string, int> ReadAddedTokens(JsonElement root, Dictionary<string, int> vocab, string path)
    {
        var special = new Dictionary<string, int>(StringComparer.Ordinal);
        if (!root.TryGetProperty("added_tokens", out var added) || added.ValueKind == JsonValueKind.Null) return special;
        if (added.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"'{path}': 'added_tokens' must be an array");
        foreach (var token in added.EnumerateArray())
        {
            if (token.ValueKind != JsonValueKind.Object
                || !token.TryGetProperty("id", out var idElement) || idElement.ValueKind != JsonValueKind.Number
                || !idElement.TryGetInt32(out int id) || id < 0
                || !token.TryGetProperty("content", out var contentElement) || contentElement.ValueKind != JsonValueKind.String
                || string.IsNullOrEmpty(contentElement.GetString()))
                throw new InvalidDataException($"'{path}': an added token needs a non-negative 'id' and a non-empty 'content': {token.GetRawText()}");
            string content = contentElement.GetString()!;
            if (vocab.TryGetValue(content, out int existing) ? existing != id : vocab.ContainsValue(id))
                throw new InvalidDataException($"'{path}': added token '{content}' (id {id}) clashes with the vocabulary");
            vocab[content] = id;
            special[content] = id;
        }
        return special;
    }
}
