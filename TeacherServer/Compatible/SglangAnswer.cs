using System.IO.Pipelines;
using System.Text.Json;
using Distill.TeacherServer.Api;
using Distill.TeacherServer.Models;

namespace Distill.TeacherServer.Compatible;

/// <summary>
/// SGLang's /generate answer: per prompt {"text", "output_ids", "meta_info"} (one object for a single prompt, a list for
/// a batch). With return_logprob, meta_info holds input_token_logprobs — [logprob, id, null] per prompt position from
/// logprob_start_len on, [null, id, null] at position 0 — and input_top_logprobs, per position a list of [logprob, id,
/// null] (null at position 0); output_token_logprobs and output_top_logprobs are empty lists.
/// </summary>
public sealed class SglangAnswer(CompatibleRequest request, LoadedModel model, ScoredPrompt[] prompts) : JsonAnswer
{
    protected override async Task<bool> WriteAsync(Utf8JsonWriter json, PipeWriter destination, CancellationToken cancellation)
    {
        if (request.Prompts.Batched)
        {
            json.WriteStartArray();
        }
        var entries = new RankedToken[(request.TopLogprobs ?? 0) + 1];
        foreach (var scored in prompts)
        {
            json.WriteStartObject();
            json.WriteString("text", model.TextTokenizer?.Decode(scored.Generated) ?? "");
            json.WriteStartArray("output_ids");
            foreach (var id in scored.Generated)
            {
                json.WriteNumberValue(id);
            }
            json.WriteEndArray();
            json.WriteStartObject("meta_info");
            json.WriteString("id", Guid.NewGuid().ToString("N"));
            json.WriteNumber("prompt_tokens", scored.Prompt.Length);
            json.WriteNumber("completion_tokens", scored.Generated.Length);
            json.WriteStartObject("finish_reason");
            if (scored.FinishReason == "eos")
            {
                json.WriteString("type", "stop");
                json.WriteNumber("matched", scored.Generated[^1]);
            }
            else
            {
                json.WriteString("type", "length");
                json.WriteNumber("length", scored.Generated.Length);
            }
            json.WriteEndObject();
            if (request.ReturnLogprob && !await WriteLogprobsAsync(json, destination, scored, entries, cancellation))
            {
                return false;
            }
            json.WriteEndObject();
            json.WriteEndObject();
        }
        if (request.Prompts.Batched)
        {
            json.WriteEndArray();
        }
        return true;
    }

    private async Task<bool> WriteLogprobsAsync(Utf8JsonWriter json, PipeWriter destination, ScoredPrompt scored,
        RankedToken[] entries, CancellationToken cancellation)
    {
        var start = request.LogprobStart;
        json.WriteStartArray("input_token_logprobs");
        for (var p = Math.Max(start, 0); start >= 0 && p < scored.Prompt.Length; p++)
        {
            json.WriteStartArray();
            if (p == 0)
            {
                json.WriteNullValue();
            }
            else
            {
                PositionLogprobs.WriteLogprob(json, PositionLogprobs.Actual(scored, p));
            }
            json.WriteNumberValue(scored.Prompt[p]);
            json.WriteNullValue();
            json.WriteEndArray();
        }
        json.WriteEndArray();
        json.WriteStartArray("input_top_logprobs");
        for (var p = Math.Max(start, 0); start >= 0 && p < scored.Prompt.Length; p++)
        {
            if (p == 0)
            {
                json.WriteNullValue();
                continue;
            }
            var k = request.TopLogprobs!.Value;
            PositionLogprobs.Count(scored, p, k, entries);
            json.WriteStartArray();
            foreach (var entry in entries.AsSpan(0, k)) // the top k only: the actual token is input_token_logprobs'
            {
                json.WriteStartArray();
                PositionLogprobs.WriteLogprob(json, entry.Logprob);
                json.WriteNumberValue(entry.Id);
                json.WriteNullValue();
                json.WriteEndArray();
            }
            json.WriteEndArray();
            if (!await TopKJsonWriter.FlushIfFullAsync(json, destination, cancellation))
            {
                return false;
            }
        }
        json.WriteEndArray();
        json.WriteStartArray("output_token_logprobs");
        json.WriteEndArray();
        json.WriteStartArray("output_top_logprobs");
        json.WriteEndArray();
        return true;
    }
}
