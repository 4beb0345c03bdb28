using Distill.Shared.Tokenization;

namespace Distill.StudentTrainer.Data;

/// <summary>Tokenizes prompt → response pairs and fits them to a model's context length.</summary>
public static class PromptResponseTokens
{
    /// <summary>
    /// Tokenizes the prompt and the response separately, appends <paramref name="eosId"/> (when given) to the response,
    /// and fits the pair to <paramref name="contextLength"/> by <see cref="Fit"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The prompt or the response encodes to no tokens.</exception>
    public static TokenizedPair Tokenize(LoadedTokenizer tokenizer, PromptResponsePair pair, int contextLength, int? eosId = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(pair);
        int[] prompt = [.. tokenizer.Encode(pair.Prompt)];
        int[] response = eosId is int eos ? [.. tokenizer.Encode(pair.Response), eos] : [.. tokenizer.Encode(pair.Response)];
        return Fit(prompt, response, contextLength);
    }

    /// <summary>
    /// Shortens a pair so that prompt + response is at most <paramref name="contextLength"/> tokens, keeping as much of the
    /// response as it can: the response is cut at its end to at most contextLength − 1 tokens (an appended end-of-text id
    /// is then lost: the response did not end there), then the prompt keeps its last tokens, those next to the response.
    /// At least one prompt token always remains, since it is the input that predicts the first response token.
    /// </summary>
    /// <exception cref="ArgumentException">The prompt or the response is empty, or <paramref name="contextLength"/> &lt; 2.</exception>
    public static TokenizedPair Fit(int[] prompt, int[] response, int contextLength)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(response);
        if (contextLength < 2) throw new ArgumentException($"the context length must be ≥ 2, got {contextLength}");
        if (prompt.Length == 0) throw new ArgumentException("the prompt encodes to no tokens");
        if (response.Length == 0) throw new ArgumentException("the response encodes to no tokens");
        int[] keptResponse = response.Length < contextLength ? response : response[..(contextLength - 1)];
        int promptRoom = contextLength - keptResponse.Length;
        int[] keptPrompt = prompt.Length <= promptRoom ? prompt : prompt[^promptRoom..];
        return new TokenizedPair(keptPrompt, keptResponse);
    }
}
