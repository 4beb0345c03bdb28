using System.Text.Json;
using System.Text.Json.Serialization;

namespace Distill.TeacherServer.Compatible;

/// <summary>The fields of vLLM's /v1/completions body this server reads (others are ignored, as vLLM ignores unknown ones).</summary>
/// <param name="MaxTokens">vLLM's default is 16.</param>
public sealed record CompletionBody(
    [property: JsonPropertyName("model")] string? Model,
    [property: JsonPropertyName("prompt")] JsonElement Prompt,
    [property: JsonPropertyName("max_tokens")] int? MaxTokens,
    [property: JsonPropertyName("temperature")] float? Temperature,
    [property: JsonPropertyName("top_p")] float? TopP,
    [property: JsonPropertyName("seed")] int? Seed,
    [property: JsonPropertyName("prompt_logprobs")] int? PromptLogprobs,
    [property: JsonPropertyName("logprobs")] int? Logprobs,
    [property: JsonPropertyName("n")] int? N,
    [property: JsonPropertyName("stream")] bool? Stream,
    [property: JsonPropertyName("echo")] bool? Echo,
    [property: JsonPropertyName("return_token_ids")] bool? ReturnTokenIds);

/// <summary>The fields of SGLang's /generate body this server reads.</summary>
/// <param name="Model">Not SGLang's (it serves one model): names the model when this server serves several.</param>
/// <param name="LogprobStart">SGLang's default −1 answers no prompt log-probs.</param>
public sealed record SglangGenerateBody(
    [property: JsonPropertyName("model")] string? Model,
    [property: JsonPropertyName("input_ids")] JsonElement InputIds,
    [property: JsonPropertyName("text")] JsonElement Text,
    [property: JsonPropertyName("sampling_params")] SglangSamplingParams? SamplingParams,
    [property: JsonPropertyName("return_logprob")] bool? ReturnLogprob,
    [property: JsonPropertyName("logprob_start_len")] int? LogprobStart,
    [property: JsonPropertyName("top_logprobs_num")] int? TopLogprobsNum,
    [property: JsonPropertyName("stream")] bool? Stream);

/// <param name="MaxNewTokens">SGLang's default is 128.</param>
public sealed record SglangSamplingParams(
    [property: JsonPropertyName("max_new_tokens")] int? MaxNewTokens,
    [property: JsonPropertyName("temperature")] float? Temperature,
    [property: JsonPropertyName("top_p")] float? TopP,
    [property: JsonPropertyName("n")] int? N);

[JsonSerializable(typeof(CompletionBody))]
[JsonSerializable(typeof(SglangGenerateBody))]
[JsonSerializable(typeof(ModelListAnswer))]
public sealed partial class CompatibleJsonContext : JsonSerializerContext;
