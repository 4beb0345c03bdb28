using System.Text.Json;
using Distill.Shared.Wire;
using Distill.TeacherServer.Api;

namespace Distill.TeacherServer.Compatible;

/// <summary>Reads the JSON of a compatible endpoint's body into a <see cref="CompatibleRequest"/>; a body it cannot serve throws <see cref="JsonException"/> (a 400).</summary>
public abstract class CompatibleRequestDecoder : RequestDecoder<CompatibleRequest>
{
    public override string[] MediaTypes { get; } = [WireMediaTypes.Json];

    public override WireEncoding? Encoding(HttpRequest request) =>
        ContentNegotiation.RequestEncoding(request) == WireEncoding.Json ? WireEncoding.Json : null;

    public override long DecodedBytes(CompatibleRequest request) =>
        TokenArrayBytes(request.Prompts.Ids) + (request.Prompts.Texts?.Sum(t => 32L + 2L * t.Length) ?? 0);

    protected static void Refuse(bool unsupported, string message)
    {
        if (unsupported)
        {
            throw new JsonException(message);
        }
    }
}

/// <summary>vLLM's /v1/completions body.</summary>
public sealed class CompletionRequestDecoder : CompatibleRequestDecoder
{
    public static CompletionRequestDecoder Instance { get; } = new();

    public const int DefaultMaxTokens = 16;

    public override CompatibleRequest? Decode(ReadOnlySpan<byte> body, WireEncoding encoding)
    {
        if (JsonSerializer.Deserialize(body, CompatibleJsonContext.Default.CompletionBody) is not { } completion)
        {
            return null;
        }
        Refuse(completion.Prompt.ValueKind == JsonValueKind.Undefined, "'prompt' is required.");
        Refuse(completion.Stream == true, "'stream' is not served; ask without it.");
        Refuse(completion.Echo == true, "'echo' is not served; ask prompt_logprobs for the prompt's log-probs.");
        Refuse(completion.N is not (null or 1), "Only n = 1 is served.");
        Refuse(completion.Logprobs is not null, "'logprobs' of generated tokens is not served; ask prompt_logprobs (with max_tokens 0 or 1).");
        return new CompatibleRequest(completion.Model, PromptList.Read(completion.Prompt, "prompt"), completion.PromptLogprobs, 0,
            completion.MaxTokens ?? DefaultMaxTokens, completion.Temperature ?? 1f, completion.TopP ?? 1f, completion.Seed, completion.ReturnTokenIds == true);
    }
}

/// <summary>SGLang's /generate body.</summary>
public sealed class SglangRequestDecoder : CompatibleRequestDecoder
{
    public static SglangRequestDecoder Instance { get; } = new();

    public const int DefaultMaxNewTokens = 128;

    public override CompatibleRequest? Decode(ReadOnlySpan<byte> body, WireEncoding encoding)
    {
        if (JsonSerializer.Deserialize(body, CompatibleJsonContext.Default.SglangGenerateBody) is not { } generate)
        {
            return null;
        }
        var hasIds = generate.InputIds.ValueKind is not (JsonValueKind.Undefined or JsonValueKind.Null);
        var hasText = generate.Text.ValueKind is not (JsonValueKind.Undefined or JsonValueKind.Null);
        Refuse(hasIds == hasText, "Give exactly one of 'input_ids' and 'text'.");
        Refuse(generate.Stream == true, "'stream' is not served; ask without it.");
        var sampling = generate.SamplingParams;
        Refuse(sampling?.N is not (null or 1), "Only n = 1 is served.");
        var prompts = hasIds ? PromptList.Read(generate.InputIds, "input_ids") : PromptList.Read(generate.Text, "text");
        var logprobs = generate.ReturnLogprob == true;
        var start = logprobs ? generate.LogprobStart ?? -1 : -1;
        return new CompatibleRequest(generate.Model, prompts, logprobs && start >= 0 ? generate.TopLogprobsNum ?? 0 : null, start,
            sampling?.MaxNewTokens ?? DefaultMaxNewTokens, sampling?.Temperature ?? 1f, sampling?.TopP ?? 1f, null, ReturnLogprob: logprobs);
    }
}
