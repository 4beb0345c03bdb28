using System.Text.Json;
using Distill.TeacherServer.Models;

namespace Distill.TeacherServer.Compatible;

/// <summary>
/// The prompts of a compatible request: token ids (one flat list, or a list of lists for a batch) or texts (one, or a
/// list), as vLLM's "prompt" and SGLang's "input_ids"/"text" take them.
/// </summary>
/// <param name="Batched">The body gave a list of prompts (the answer then has one entry per prompt, in order).</param>
public sealed class PromptList(int[][]? ids, string[]? texts, bool batched)
{
    public int[][]? Ids { get; private set; } = ids;

    public string[]? Texts { get; } = texts;

    public bool Batched { get; } = batched;

    public int Count => Ids?.Length ?? Texts!.Length;

    /// <summary>Tokenises text prompts with the model's tokenizer; the 400 detail when that cannot be done, else null.</summary>
    public string? Resolve(LoadedModel model)
    {
        if (Ids is not null)
        {
            return null;
        }
        if (model.TextTokenizer is not { } tokenizer)
        {
            return $"Model '{model.Name}' has no loadable tokenizer, so text prompts cannot be tokenised; send token ids.";
        }
        Ids = Texts!.Select(tokenizer.Encode).ToArray();
        return null;
    }

    /// <summary>Reads a prompt field: an id list, a list of id lists, a text or a list of texts.</summary>
    /// <exception cref="JsonException">Any other shape, or an id that is not a 32-bit integer.</exception>
    public static PromptList Read(JsonElement prompt, string field)
    {
        switch (prompt.ValueKind)
        {
            case JsonValueKind.String:
                return new PromptList(null, [prompt.GetString()!], false);
            case JsonValueKind.Array when prompt.GetArrayLength() == 0:
                throw new JsonException($"'{field}' is empty.");
            case JsonValueKind.Array:
                var first = prompt[0].ValueKind;
                if (first == JsonValueKind.Number)
                {
                    return new PromptList([ReadIds(prompt, field)], null, false);
                }
                if (first == JsonValueKind.String)
                {
                    return new PromptList(null, prompt.EnumerateArray().Select(e => Text(e, field)).ToArray(), true);
                }
                return new PromptList(prompt.EnumerateArray().Select(e => ReadIds(e, field)).ToArray(), null, true);
            default:
                throw new JsonException($"'{field}' must be token ids (a list of integers, or a list of such lists) or text.");
        }
    }

    private static string Text(JsonElement element, string field) =>
        element.ValueKind == JsonValueKind.String ? element.GetString()! : throw new JsonException($"'{field}' mixes texts with other values.");

    private static int[] ReadIds(JsonElement element, string field)
    {
        if (element.ValueKind != JsonValueKind.Array)
        {
            throw new JsonException($"'{field}' must be a list of token ids or a list of such lists.");
        }
        var ids = new int[element.GetArrayLength()];
        var i = 0;
        foreach (var id in element.EnumerateArray())
        {
            if (id.ValueKind != JsonValueKind.Number || !id.TryGetInt32(out ids[i++]))
            {
                throw new JsonException($"'{field}' holds {id.GetRawText()}, which is not a token id.");
            }
        }
        return ids;
    }
}
