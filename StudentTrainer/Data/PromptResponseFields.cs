namespace Distill.StudentTrainer.Data;

/// <summary>
/// The fields of one prompt → response pair: <c>prompt</c> and <c>response</c>, or <c>completion</c> for the response
/// (TRL's name; <c>response</c> wins when both are present), or the Dolly fields <c>instruction</c>, <c>context</c>
/// (optional) and <c>response</c>; the prompt is then the instruction, followed by a blank line and the context when the
/// context is not empty. A pair with <c>prompt</c> uses it and ignores <c>instruction</c> and <c>context</c>. Other fields are ignored.
/// </summary>
public static class PromptResponseFields
{
    /// <summary>The names a response may have, in order of preference.</summary>
    public static readonly IReadOnlyList<string> ResponseNames = ["response", "completion"];

    /// <summary>The pair whose fields <paramref name="field"/> gives (null: absent).</summary>
    /// <param name="kind">What a field is called in the file's format ("field", "column"), for messages.</param>
    /// <exception cref="InvalidDataException">A field is missing or the response is empty.</exception>
    public static PromptResponsePair Pair(Func<string, string?> field, string kind)
    {
        string response = ResponseNames.Select(field).FirstOrDefault(value => value is not null)
            ?? throw new InvalidDataException($"missing {kind} 'response' (or 'completion')");
        if (response.Length == 0) throw new InvalidDataException("empty 'response'");
        string prompt = field("prompt") ?? DollyPrompt(field)
            ?? throw new InvalidDataException($"missing {kind} 'prompt' (or the Dolly {kind} 'instruction')");
        return new PromptResponsePair(prompt, response);
    }

    private static string? DollyPrompt(Func<string, string?> field)
    {
        string? instruction = field("instruction");
        if (instruction is null) return null;
        string context = field("context") ?? "";
        return context.Length == 0 ? instruction : $"{instruction}\n\n{context}";
    }
}
