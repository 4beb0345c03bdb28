using System.IO.Pipelines;
using System.Text.Json;
using Distill.TeacherServer.Api;
using Distill.TeacherServer.Models;

namespace Distill.TeacherServer.Compatible;

/// <summary>
/// vLLM's /v1/completions answer (object "text_completion"), written straight to the response: per prompt a choice
/// with index, text, logprobs (null), finish_reason ("stop" at the eos, else "length") and, when asked, prompt_logprobs
/// — null first, then per position an object keyed by the token id in decimal, {"logprob", "rank", "decoded_token"}.
/// </summary>
public sealed class CompletionAnswer(CompatibleRequest request, LoadedModel model, ScoredPrompt[] prompts) : JsonAnswer
{
    protected override async Task<bool> WriteAsync(Utf8JsonWriter json, PipeWriter destination, CancellationToken cancellation)
    {
        json.WriteStartObject();
        json.WriteString("id", "cmpl-" + Guid.NewGuid().ToString("N"));
        json.WriteString("object", "text_completion");
        json.WriteNumber("created", DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        json.WriteString("model", model.Name);
        json.WriteStartArray("choices");
        var entries = new RankedToken[(request.TopLogprobs ?? 0) + 1];
        for (var i = 0; i < prompts.Length; i++)
        {
            var scored = prompts[i];
            json.WriteStartObject();
            json.WriteNumber("index", i);
            json.WriteString("text", model.TextTokenizer?.Decode(scored.Generated) ?? "");
            json.WriteNull("logprobs");
            json.WriteString("finish_reason", scored.FinishReason == "eos" ? "stop" : "length");
            json.WriteNull("stop_reason");
            if (request.ReturnTokenIds)
            {
                WriteIds(json, "prompt_token_ids", scored.Prompt);
                WriteIds(json, "token_ids", scored.Generated);
            }
            if (!request.WantsPromptLogprobs)
            {
                json.WriteNull("prompt_logprobs");
            }
            else
            {
                json.WriteStartArray("prompt_logprobs");
                json.WriteNullValue();
                for (var p = 1; p < scored.Prompt.Length; p++)
                {
                    WritePosition(json, entries.AsSpan(0, PositionLogprobs.Count(scored, p, request.TopLogprobs!.Value, entries)));
                    if (!await TopKJsonWriter.FlushIfFullAsync(json, destination, cancellation))
                    {
                        return false;
                    }
                }
                json.WriteEndArray();
            }
            json.WriteEndObject();
        }
        json.WriteEndArray();
        var promptTokens = prompts.Sum(p => p.Prompt.Length);
        var completionTokens = prompts.Sum(p => p.Generated.Length);
        json.WriteStartObject("usage");
        json.WriteNumber("prompt_tokens", promptTokens);
        json.WriteNumber("total_tokens", promptTokens + completionTokens);
        json.WriteNumber("completion_tokens", completionTokens);
        json.WriteEndObject();
        json.WriteEndObject();
        return true;
    }

    private void WritePosition(Utf8JsonWriter json, ReadOnlySpan<RankedToken> entries)
    {
        json.WriteStartObject();
        foreach (var entry in entries)
        {
            json.WriteStartObject(entry.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            json.WritePropertyName("logprob");
            PositionLogprobs.WriteLogprob(json, entry.Logprob);
            json.WriteNumber("rank", entry.Rank);
            if (model.TextTokenizer?.TokenText(entry.Id) is { } text)
            {
                json.WriteString("decoded_token", text);
            }
            else
            {
                json.WriteNull("decoded_token");
            }
            json.WriteEndObject();
        }
        json.WriteEndObject();
    }

    private static void WriteIds(Utf8JsonWriter json, string name, int[] ids)
    {
        json.WriteStartArray(name);
        foreach (var id in ids)
        {
            json.WriteNumberValue(id);
        }
        json.WriteEndArray();
    }
}
