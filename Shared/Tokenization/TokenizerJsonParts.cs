using System.Text.Json;

namespace Distill.Shared.Tokenization;

/// <summary>Questions about the parts of a Hugging Face <c>tokenizer.json</c> that more than one reader asks.</summary>
internal static class TokenizerJsonParts
{
    private static readonly string[] Pipeline = ["normalizer", "pre_tokenizer", "decoder"];

    /// <summary>True when the normaliser, pre-tokenizer or decoder (or any step of a Sequence of them) has this "type".</summary>
    public static bool Mentions(JsonElement root, string type) =>
        Pipeline.Any(name => root.TryGetProperty(name, out var part) && HasType(part, type));

    private static bool HasType(JsonElement element, string type) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject().Any(p =>
            (p.Name == "type" && p.Value.ValueKind == JsonValueKind.String && p.Value.GetString() == type) || HasType(p.Value, type)),
        JsonValueKind.Array => element.EnumerateArray().Any(e => HasType(e, type)),
        _ => false,
    };
}
