using Distill.Shared.Tokenization;

namespace Distill.StudentTrainer.Data;

/// <summary>A passage of a token stream, from <see cref="Start"/>: a prompt and the tokens that truly follow it.</summary>
public sealed record TaskPassage(int Start, int[] Prompt, int[] Response)
{
    /// <summary>Start of the tokens after the passage.</summary>
    public int End => Start + Prompt.Length + Response.Length;

    /// <summary>The passage as text.</summary>
    public PromptResponsePair Decode(LoadedTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        return new PromptResponsePair(tokenizer.Decode(Prompt), tokenizer.Decode(Response));
    }
}
