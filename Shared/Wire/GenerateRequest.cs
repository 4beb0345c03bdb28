using System.Text.Json.Serialization;

namespace Distill.Shared.Wire;

/// <summary>Sampled continuations of prompts, for sequence-level KD.</summary>
/// <param name="Prompts">Token ids of each prompt; every prompt non-empty and shorter than the context.</param>
/// <param name="MaxNewTokens">Upper bound on generated tokens per prompt (the context length also stops generation).</param>
/// <param name="Temperature">Sampling temperature, &gt; 0.</param>
/// <param name="TopP">Nucleus sampling: sample among the most probable tokens whose mass reaches top_p; 1 = all.</param>
/// <param name="Seed">Seed of prompt i is seed + i; null picks one (returned in the answer).</param>
/// <param name="StopAtEos">Stop a continuation after it samples the end-of-sequence token.</param>
public sealed record GenerateRequest(
    [property: JsonPropertyName("prompts")] int[][] Prompts,
    [property: JsonPropertyName("max_new_tokens")] int MaxNewTokens = 64,
    [property: JsonPropertyName("temperature")] float Temperature = 1f,
    [property: JsonPropertyName("top_p")] float TopP = 1f,
    [property: JsonPropertyName("seed")] int? Seed = null,
    [property: JsonPropertyName("stop_at_eos")] bool StopAtEos = true);

public sealed record GenerateResponse(
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("seed")] int Seed,
    [property: JsonPropertyName("completions")] IReadOnlyList<Completion> Completions);

/// <param name="Tokens">The generated ids only (not the prompt); ends with the eos id when <paramref name="FinishReason"/> is "eos".</param>
/// <param name="FinishReason">"eos", or "length" (max_new_tokens or the context length reached).</param>
public sealed record Completion(
    [property: JsonPropertyName("tokens")] int[] Tokens,
    [property: JsonPropertyName("finish_reason")] string FinishReason);
