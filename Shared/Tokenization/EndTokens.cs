using System.Text.Json;

namespace Distill.Shared.Tokenization;

/// <summary>The end- and beginning-of-sequence ids of a tokenizer folder, from <c>config.json</c>, <c>tokenizer_config.json</c> or convention.</summary>
internal static class EndTokens
{
    /// <summary>End-of-sequence token names, in the order they are looked for when no file names one.</summary>
    public static readonly string[] Conventional = ["</s>", ByteLevelBpeTrainerOptions.EndOfText, "<|end_of_text|>", "<eos>"];

    private const string ConfigFile = "config.json";
    private const string TokenizerConfigFile = "tokenizer_config.json";

    /// <exception cref="InvalidDataException">A config file is malformed or names an id outside the vocabulary.</exception>
    public static int? EosId(string folder, TokenizerDefinition definition) =>
        ConfigId(folder, "eos_token_id", definition.VocabSize)
        ?? TokenizerConfigId(folder, "eos_token", definition)
        ?? Conventional.Where(definition.IdByToken.ContainsKey).Select(t => (int?)definition.IdByToken[t]).FirstOrDefault();

    /// <exception cref="InvalidDataException">A config file is malformed or names an id outside the vocabulary.</exception>
    public static int? BosId(string folder, TokenizerDefinition definition) =>
        TokenizerConfigId(folder, "bos_token", definition) ?? ConfigId(folder, "bos_token_id", definition.VocabSize);

    private static int? ConfigId(string folder, string name, int vocabSize)
    {
        string path = Path.Combine(folder, ConfigFile);
        JsonElement? value = Property(path, name);
        if (value is not { } id) return null;
        // Some configs list several end tokens; the first is the one generation appends.
        if (id.ValueKind == JsonValueKind.Array) id = id.GetArrayLength() > 0 ? id[0] : default;
        if (id.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined) return null;
        if (id.ValueKind != JsonValueKind.Number || !id.TryGetInt32(out int number) || number < 0 || number >= vocabSize)
            throw new InvalidDataException($"'{path}': {name} {id.GetRawText()} is not an id below {vocabSize}");
        return number;
    }

    /// <summary>A token named by string or by <c>{"content": …}</c>, looked up in the vocabulary.</summary>
    private static int? TokenizerConfigId(string folder, string name, TokenizerDefinition definition)
    {
        string path = Path.Combine(folder, TokenizerConfigFile);
        JsonElement? value = Property(path, name);
        if (value is not { } token) return null;
        if (token.ValueKind == JsonValueKind.Object && token.TryGetProperty("content", out var content)) token = content;
        if (token.ValueKind != JsonValueKind.String) return null;
        return definition.IdByToken.TryGetValue(token.GetString()!, out int id) ? id : null;
    }

    private static JsonElement? Property(string path, string name)
    {
        if (!File.Exists(path)) return null;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"'{path}' must hold a JSON object");
            return document.RootElement.TryGetProperty(name, out var value) ? value.Clone() : null;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not valid JSON: {e.Message}", e);
        }
    }
}
