using System.IO.Pipelines;
using System.Text.Encodings.Web;
using System.Text.Json;
using Distill.Shared.Wire;

namespace Distill.TeacherServer.Api;

/// <summary>
/// Writes a top-k answer as the JSON of <see cref="TopKResponse"/> straight from the flat arrays, flushing about every
/// 64 KiB, so that no second copy of a large answer is made. NaN and ±Infinity travel as strings, as the serializer's
/// named literals do; a NaN next-token log-prob is null. An answer with per-sequence starts carries "starts" instead of "start".
/// </summary>
public static class TopKJsonWriter
{
    private const int FlushBytes = 1 << 16;

    public static async Task WriteAsync(TopKResult result, PipeWriter destination, JavaScriptEncoder? encoder, CancellationToken cancellation)
    {
        await using var json = new Utf8JsonWriter(destination, new JsonWriterOptions { Encoder = encoder });
        json.WriteStartObject();
        json.WriteString("model", result.Model);
        json.WriteString("version", result.Version);
        json.WriteNumber("k", result.K);
        json.WriteStartArray("sequences");
        foreach (var sequence in result.Sequences)
        {
            json.WriteStartObject();
            json.WriteStartArray("ids");
            for (var t = 0; t < sequence.Length; t++)
            {
                WriteRow(json, sequence.IdsAt(t));
                if (!await FlushIfFullAsync(json, destination, cancellation))
                {
                    return;
                }
            }
            json.WriteEndArray();
            json.WriteStartArray("logprobs");
            for (var t = 0; t < sequence.Length; t++)
            {
                WriteRow(json, sequence.LogprobsAt(t));
                if (!await FlushIfFullAsync(json, destination, cancellation))
                {
                    return;
                }
            }
            json.WriteEndArray();
            json.WriteStartArray("next_token_logprob");
            foreach (var value in sequence.NextTokenLogprobs)
            {
                if (float.IsNaN(value))
                {
                    json.WriteNullValue();
                }
                else
                {
                    WriteFloat(json, value);
                }
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        json.WriteEndArray();
        if (result.Starts is { } starts)
        {
            json.WriteStartArray("starts");
            foreach (var start in starts)
            {
                json.WriteNumberValue(start);
            }
            json.WriteEndArray();
        }
        else
        {
            json.WriteNumber("start", result.Start);
        }
        json.WriteEndObject();
        await json.FlushAsync(cancellation);
    }

    private static void WriteRow(Utf8JsonWriter json, ReadOnlySpan<int> ids)
    {
        json.WriteStartArray();
        foreach (var id in ids)
        {
            json.WriteNumberValue(id);
        }
        json.WriteEndArray();
    }

    private static void WriteRow(Utf8JsonWriter json, ReadOnlySpan<float> values)
    {
        json.WriteStartArray();
        foreach (var value in values)
        {
            WriteFloat(json, value);
        }
        json.WriteEndArray();
    }

    private static void WriteFloat(Utf8JsonWriter json, float value)
    {
        if (float.IsFinite(value))
        {
            json.WriteNumberValue(value);
        }
        else
        {
            json.WriteStringValue(float.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
        }
    }

    /// <summary>Hands what is buffered to the pipe and flushes it once it passes 64 KiB; false when the client is gone.</summary>
    internal static async ValueTask<bool> FlushIfFullAsync(Utf8JsonWriter json, PipeWriter destination, CancellationToken cancellation)
    {
        if (json.BytesPending < FlushBytes)
        {
            return true;
        }
        json.Flush();
        var flushed = await destination.FlushAsync(cancellation);
        return !flushed.IsCompleted && !flushed.IsCanceled;
    }
}
