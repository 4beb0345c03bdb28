using System.Text.Json.Serialization;

namespace Distill.Shared.Wire;

/// <summary>The JSON shape of a top-k answer (the binary shape is <see cref="TopKBinaryCodec"/>).</summary>
/// <param name="Starts">Each sequence's first answered position, when the request gave per-sequence starts (then <paramref name="Start"/> is 0).</param>
public sealed record TopKResponse(
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("k")] int K,
    [property: JsonPropertyName("sequences")] IReadOnlyList<TopKSequenceJson> Sequences,
    [property: JsonPropertyName("start")] int Start = 0,
    [property: JsonPropertyName("starts"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int[]? Starts = null)
{
    public static TopKResponse From(TopKResult result) =>
        new(result.Model, result.Version, result.K, result.Sequences.Select(TopKSequenceJson.From).ToArray(), result.Start, result.Starts?.ToArray());
}

/// <param name="Ids">[T][k] token ids, most probable first.</param>
/// <param name="Logprobs">[T][k] log-probs matching <paramref name="Ids"/>.</param>
/// <param name="NextTokenLogprob">[T] log p of the sequence's token at t+1; null at the last position.</param>
public sealed record TopKSequenceJson(
    [property: JsonPropertyName("ids")] int[][] Ids,
    [property: JsonPropertyName("logprobs")] float[][] Logprobs,
    [property: JsonPropertyName("next_token_logprob")] float?[] NextTokenLogprob)
{
    public static TopKSequenceJson From(SequenceTopK sequence)
    {
        var ids = new int[sequence.Length][];
        var logprobs = new float[sequence.Length][];
        var next = new float?[sequence.Length];
        for (var t = 0; t < sequence.Length; t++)
        {
            ids[t] = sequence.Ids.AsSpan(t * sequence.K, sequence.K).ToArray();
            logprobs[t] = sequence.Logprobs.AsSpan(t * sequence.K, sequence.K).ToArray();
            next[t] = float.IsNaN(sequence.NextTokenLogprobs[t]) ? null : sequence.NextTokenLogprobs[t];
        }
        return new TopKSequenceJson(ids, logprobs, next);
    }
}
