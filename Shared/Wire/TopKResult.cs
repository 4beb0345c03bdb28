namespace Distill.Shared.Wire;

/// <summary>A top-k answer in flat arrays, the shape both codecs read and write.</summary>
/// <param name="Model">Name of the model folder that answered.</param>
/// <param name="Version">Content hash of the model version that produced every number here.</param>
/// <param name="Start">Position of each sequence's first answered position (the request's start; 0 for all positions).</param>
/// <param name="Starts">Per-sequence first answered positions (a request with per-sequence starts); null when all share <paramref name="Start"/>.</param>
public sealed record TopKResult(string Model, string Version, int K, IReadOnlyList<SequenceTopK> Sequences, int Start = 0,
    IReadOnlyList<int>? Starts = null)
{
    public int Positions => Sequences.Sum(s => s.Length);

    /// <summary>The sequence position that answered position 0 of sequence <paramref name="sequence"/> stands for.</summary>
    public int StartOf(int sequence) => Starts is { } starts ? starts[sequence] : Start;
}

/// <summary>The top-k of one sequence of <see cref="Length"/> positions.</summary>
/// <param name="Ids">[T·k] row-major: position t's ids are Ids[t·k .. t·k+k), most probable first.</param>
/// <param name="Logprobs">[T·k] log-probs matching <paramref name="Ids"/>, normalised over the full vocabulary.</param>
/// <param name="NextTokenLogprobs">[T] log p of the token at t+1; NaN at the last position, which has no next token.</param>
public sealed record SequenceTopK(int Length, int K, int[] Ids, float[] Logprobs, float[] NextTokenLogprobs)
{
    public ReadOnlySpan<int> IdsAt(int position) => Ids.AsSpan(position * K, K);

    public ReadOnlySpan<float> LogprobsAt(int position) => Logprobs.AsSpan(position * K, K);
}
