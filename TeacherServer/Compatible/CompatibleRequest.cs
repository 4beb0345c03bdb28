namespace Distill.TeacherServer.Compatible;

/// <summary>
/// What a /v1/completions or /generate body asks, in one shape: prompts, how many top log-probs per prompt position,
/// from which position, and how many tokens to generate.
/// </summary>
/// <param name="Model">The model named in the body; null lets <see cref="ModelRouting"/> choose the only one served.</param>
/// <param name="Prompts">Token ids or texts.</param>
/// <param name="TopLogprobs">k of each position's top log-probs; null when no prompt log-probs are asked.</param>
/// <param name="LogprobStart">The first prompt position whose log-prob is answered (position 0 answers null: nothing predicts it).</param>
/// <param name="MaxNewTokens">Tokens to generate after each prompt; 0 generates none.</param>
/// <param name="Temperature">Sampling temperature of generated tokens only; 0 samples greedily. Prompt log-probs are at τ = 1.</param>
/// <param name="ReturnLogprob">SGLang's return_logprob: the answer carries its log-prob fields (empty from logprob_start_len −1).</param>
public sealed record CompatibleRequest(string? Model, PromptList Prompts, int? TopLogprobs, int LogprobStart, int MaxNewTokens,
    float Temperature, float TopP, int? Seed, bool ReturnTokenIds = false, bool ReturnLogprob = false)
{
    /// <summary>The prompts' ids once <see cref="PromptList.Resolve"/> has tokenised any texts.</summary>
    public int[][] Ids => Prompts.Ids ?? throw new InvalidOperationException("The prompts have not been resolved to ids.");

    public bool WantsPromptLogprobs => TopLogprobs is not null;
}
