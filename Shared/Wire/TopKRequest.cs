using System.Text.Json.Serialization;

namespace Distill.Shared.Wire;

/// <summary>A batch of token-id sequences (variable lengths) whose teacher top-k is wanted.</summary>
/// <param name="Sequences">Token ids, one array per sequence; every sequence non-empty.</param>
/// <param name="K">How many of the most probable next tokens to return per position.</param>
/// <param name="Temperature">τ: log-probs are log_softmax(logits / τ) over the full vocabulary.</param>
/// <param name="Start">
/// Only positions from this index on are wanted (0: all); it must be below every sequence's length. The answer then
/// has length − start positions per sequence; a server with a prefix cache runs only what its cache does not hold.
/// </param>
/// <param name="Starts">
/// Per-sequence starts instead of <paramref name="Start"/> (which must then be 0): sequence i is answered from
/// Starts[i] on, each below its sequence's length; null when every sequence shares <paramref name="Start"/>.
/// </param>
public sealed record TopKRequest(
    [property: JsonPropertyName("sequences")] int[][] Sequences,
    [property: JsonPropertyName("k")] int K,
    [property: JsonPropertyName("temperature")] float Temperature = 1f,
    [property: JsonPropertyName("start")] int Start = 0,
    [property: JsonPropertyName("starts"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int[]? Starts = null)
{
    /// <summary>The first answered position of sequence <paramref name="sequence"/>.</summary>
    public int StartOf(int sequence) => Starts is { } starts ? starts[sequence] : Start;
}
