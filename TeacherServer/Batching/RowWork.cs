using Distill.Shared.Wire;

namespace Distill.TeacherServer.Batching;

/// <summary>One sequence waiting for the batcher.</summary>
/// <param name="WantLastLogits">Also return the raw logits of the last position (generation).</param>
/// <param name="Start">The first position whose top-k is answered; earlier ones only give context.</param>
/// <param name="WantNextTokenRanks">Also return the rank of each answered position's next token over the full vocabulary.</param>
public sealed record RowWork(int[] Tokens, int K, float Temperature, bool WantLastLogits, CancellationToken Cancellation, int Start = 0,
    bool WantNextTokenRanks = false)
{
    /// <summary>
    /// Completed by the batcher. Its continuations may run on the batcher's thread (<see cref="DynamicBatcher"/> decides
    /// by the answer's size), so code awaiting it must not block.
    /// </summary>
    public TaskCompletionSource<RowResult> Completion { get; } = new();
}

/// <param name="LastLogits">[V] when asked for, else null.</param>
/// <param name="NextTokenRanks">When asked for, per answered position 1 + the number of vocabulary entries whose log-prob is larger than the next token's (0 at the last position, which has no next token); else null.</param>
public sealed record RowResult(SequenceTopK TopK, float[]? LastLogits, int[]? NextTokenRanks = null);
