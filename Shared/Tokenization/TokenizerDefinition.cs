using System.Text.Json;
using System.Text.Json.Nodes;

namespace Distill.Shared.Tokenization;

/// <summary>
/// A Hugging Face <c>tokenizer.json</c> document, checked enough to tokenise with, with its token table:
/// read from the file, or built from <c>vocab.json</c> + <c>merges.txt</c> as the equivalent GPT-2 document.
/// </summary>
internal sealed class TokenizerDefinition
{
    public const string FileName = "tokenizer.json";

    private TokenizerDefinition(JsonObject root, string kind, string source)
    {
        Root = root;
        Kind = kind;
        Source = source;
        var model = (JsonObject)root["model"]!;
        var tokens = new Dictionary<int, string>();
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (token, id) in ModelVocab(model, source))
        {
            tokens.TryAdd(id, token);
            ids.TryAdd(token, id);
        }
        var added = new List<AddedToken>();
        foreach (var token in AddedTokens(root, source))
        {
            added.Add(token);
            tokens[token.Id] = token.Content;
            ids[token.Content] = token.Id;
        }
        if (tokens.Count == 0) throw new InvalidDataException($"'{source}': the tokenizer has no tokens");
        TokenById = tokens;
        IdByToken = ids;
        Added = added;
        VocabSize = tokens.Keys.Max() + 1;
    }

    /// <summary>The document; the caller must not change it.</summary>
    public JsonObject Root { get; }

    /// <summary>One of <see cref="TokenizerKinds"/>.</summary>
    public string Kind { get; }

    /// <summary>The file the document came from, for messages.</summary>
    public string Source { get; }

    /// <summary>Every id's token string: the model's vocabulary, then the added tokens over it.</summary>
    public IReadOnlyDictionary<int, string> TokenById { get; }

    /// <summary>Every token string's id.</summary>
    public IReadOnlyDictionary<string, int> IdByToken { get; }

    /// <summary>The added tokens, in file order.</summary>
    public IReadOnlyList<AddedToken> Added { get; }

    /// <summary>One more than the largest id, added tokens included.</summary>
    public int VocabSize { get; }

    /// <summary>The JSON object at <paramref name="name"/> of the root, or null.</summary>
    public JsonObject? Part(string name) => Root[name] as JsonObject;

    /// <summary>Reads and checks <c>tokenizer.json</c>.</summary>
    /// <exception cref="InvalidDataException">The file is not JSON or lacks what tokenising needs.</exception>
    public static TokenizerDefinition Read(string path)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not valid JSON: {e.Message}", e);
        }
        // Not disposed: the nodes read from the document's buffer for as long as they live.
        var element = document.RootElement;
        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"'{path}' has no 'model' object");
        string kind = TokenizerJsonInspector.Classify(element, out string? problem);
        if (problem is not null) throw new InvalidDataException($"'{path}': {problem}");
        return new TokenizerDefinition(JsonObject.Create(element)!, kind, path);
    }

    /// <summary>The document Hugging Face's GPT-2 <c>tokenizer.json</c> has for this vocabulary: byte-level BPE, GPT-2's split, no normaliser.</summary>
    public static TokenizerDefinition FromByteLevel(BpeVocabulary vocabulary, string source)
    {
        var vocab = new JsonObject();
        foreach (var (token, id) in vocabulary.Vocab.OrderBy(e => e.Value)) vocab[token] = id;
        var merges = new JsonArray();
        foreach (var merge in vocabulary.Merges) merges.Add(new JsonArray(merge.Left, merge.Right));
        var added = new JsonArray();
        foreach (var (content, id) in vocabulary.SpecialTokens.OrderBy(e => e.Value))
        {
            added.Add(new JsonObject
            {
                ["id"] = id, ["content"] = content, ["single_word"] = false, ["lstrip"] = false,
                ["rstrip"] = false, ["normalized"] = false, ["special"] = true,
            });
        }
        var root = new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = added,
            ["normalizer"] = null,
            ["pre_tokenizer"] = ByteLevelStep(),
            ["post_processor"] = ByteLevelStep(),
            ["decoder"] = ByteLevelStep(),
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = "",
                ["end_of_word_suffix"] = "", ["fuse_unk"] = false, ["byte_fallback"] = false, ["ignore_merges"] = false,
                ["vocab"] = vocab, ["merges"] = merges,
            },
        };
        return new TokenizerDefinition(root, TokenizerKinds.ByteLevelBpe, source);
    }

    private static JsonObject ByteLevelStep() =>
        new() { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = true };

    private static IEnumerable<(string Token, int Id)> ModelVocab(JsonObject model, string source)
    {
        switch (model["vocab"])
        {
            case JsonObject vocab:
                foreach (var (token, value) in vocab)
                {
                    if (value is not JsonValue v || !v.TryGetValue(out int id) || id < 0)
                        throw new InvalidDataException($"'{source}': token '{token}' of model.vocab has no non-negative integer id");
                    yield return (token, id);
                }
                break;
            case JsonArray pieces: // Unigram: [piece, score] pairs whose ids are their positions
                for (int id = 0; id < pieces.Count; id++)
                {
                    if (pieces[id] is not JsonArray { Count: > 0 } entry || entry[0] is not JsonValue piece || !piece.TryGetValue(out string? token))
                        throw new InvalidDataException($"'{source}': model.vocab entry {id} is not [piece, score]");
                    yield return (token, id);
                }
                break;
            default:
                throw new InvalidDataException($"'{source}' has no model.vocab object or list");
        }
    }

    private static IEnumerable<AddedToken> AddedTokens(JsonObject root, string source)
    {
        if (root["added_tokens"] is null) yield break;
        if (root["added_tokens"] is not JsonArray added)
            throw new InvalidDataException($"'{source}': 'added_tokens' must be an array");
        foreach (var node in added)
        {
            if (node is not JsonObject token || token["id"] is not JsonValue idValue || !idValue.TryGetValue(out int id) || id < 0
                || token["content"] is not JsonValue contentValue || !contentValue.TryGetValue(out string? content) || content.Length == 0)
                throw new InvalidDataException($"'{source}': an added token needs a non-negative integer 'id' and a non-empty 'content': {node?.ToJsonString()}");
            yield return new AddedToken(id, content, Flag(token, "special"), Flag(token, "single_word"), Flag(token, "lstrip"),
                Flag(token, "rstrip"), token["normalized"] is null ? !Flag(token, "special") : Flag(token, "normalized"));
        }
    }

    private static bool Flag(JsonObject token, string name) => token[name] is JsonValue v && v.TryGetValue(out bool b) && b;
}
