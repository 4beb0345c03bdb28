using System.Text.Json;

namespace Distill.Shared.Tokenization;

/// <summary>
/// Describes a Hugging Face <c>tokenizer.json</c> of any family as <see cref="TokenizerLoader"/> reads it (the trainer's
/// fingerprint); a file it cannot read by kind and its <c>model.vocab</c> and <c>added_tokens</c> pairs.
/// </summary>
internal static class TokenizerJsonInspector
{
    /// <summary>
    /// The description <see cref="TokenizerLoader.Load"/> agrees with; when the file cannot be read as a tokenizer, its kind
    /// as far as it can be told, a fingerprint of its token → id pairs if they can be read, and the problem.
    /// </summary>
    /// <exception cref="JsonException">The file is not JSON.</exception>
    public static TokenizerDescription Describe(string folder, string path)
    {
        try
        {
            return TokenizerInspector.Of(folder, TokenizerDefinition.Read(path));
        }
        catch (InvalidDataException e)
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            return Of(TokenizerKinds.Unknown, TokenIdPairs(document.RootElement, out _), e.Message);
        }
    }

    /// <summary>The description of a vocabulary of another kind: fingerprint over its pairs, eos by a conventional name.</summary>
    public static TokenizerDescription Of(string kind, IReadOnlyCollection<KeyValuePair<string, int>>? pairs, string? problem)
    {
        if (pairs is null)
        {
            return new TokenizerDescription(kind, null, null, problem);
        }
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (token, id) in pairs)
        {
            ids.TryAdd(token, id);
        }
        int? eos = EndTokens.Conventional.Where(ids.ContainsKey).Select(t => (int?)ids[t]).FirstOrDefault();
        return new TokenizerDescription(kind, TokenizerFingerprint.OfTokenIds(kind, pairs), eos, problem);
    }

    internal static string Classify(JsonElement root, out string? problem)
    {
        problem = null;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object)
        {
            problem = "tokenizer.json has no 'model' object";
            return TokenizerKinds.Unknown;
        }
        string? type = model.TryGetProperty("type", out var typeElement)
            ? (typeElement.ValueKind == JsonValueKind.String ? typeElement.GetString() : null)
            : (model.TryGetProperty("merges", out _) ? "BPE" : null); // old files name no type; BPE is the one with merges
        if (type is null && model.TryGetProperty("type", out _))
        {
            problem = $"tokenizer.json: model.type {typeElement.GetRawText()} is not a string";
        }
        var byteFallback = model.TryGetProperty("byte_fallback", out var fallback) && fallback.ValueKind == JsonValueKind.True;
        return type switch
        {
            "BPE" when TokenizerJsonParts.Mentions(root, "ByteLevel") => TokenizerKinds.ByteLevelBpe,
            "BPE" when byteFallback || TokenizerJsonParts.Mentions(root, "Metaspace") => TokenizerKinds.SentencePieceBpe,
            "Unigram" => TokenizerKinds.SentencePieceUnigram,
            _ => TokenizerKinds.Unknown,
        };
    }

    /// <summary>
    /// <c>model.vocab</c> (an object of token → id, or Unigram's list of [piece, score] whose ids are the positions) and
    /// <c>added_tokens</c>; null, with the reason, when they are missing or malformed.
    /// </summary>
    private static List<KeyValuePair<string, int>>? TokenIdPairs(JsonElement root, out string? problem)
    {
        problem = null;
        var pairs = new List<KeyValuePair<string, int>>();
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object
            || !model.TryGetProperty("vocab", out var vocab))
        {
            problem = "tokenizer.json has no model.vocab";
            return null;
        }
        if (vocab.ValueKind == JsonValueKind.Object)
        {
            foreach (var entry in vocab.EnumerateObject())
            {
                if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out var id) || id < 0)
                {
                    problem = $"tokenizer.json: token '{entry.Name}' of model.vocab has no non-negative integer id";
                    return null;
                }
                pairs.Add(new(entry.Name, id));
            }
        }
        else if (vocab.ValueKind == JsonValueKind.Array)
        {
            var id = 0;
            foreach (var entry in vocab.EnumerateArray())
            {
                if (entry.ValueKind != JsonValueKind.Array || entry.GetArrayLength() == 0 || entry[0].ValueKind != JsonValueKind.String)
                {
                    problem = $"tokenizer.json: model.vocab entry {id} is not [piece, score]";
                    return null;
                }
                pairs.Add(new(entry[0].GetString()!, id++));
            }
        }
        else
        {
            problem = "tokenizer.json: model.vocab is neither an object nor a list";
            return null;
        }
        if (root.TryGetProperty("added_tokens", out var added) && added.ValueKind == JsonValueKind.Array)
        {
            foreach (var token in added.EnumerateArray())
            {
                if (token.ValueKind != JsonValueKind.Object
                    || !token.TryGetProperty("id", out var idElement) || idElement.ValueKind != JsonValueKind.Number || !idElement.TryGetInt32(out var id) || id < 0
                    || !token.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.String)
                {
                    problem = $"tokenizer.json: an added token needs a non-negative integer 'id' and a string 'content': {token.GetRawText()}";
                    return null;
                }
                pairs.Add(new(content.GetString()!, id));
            }
        }
        return pairs;
    }
}
