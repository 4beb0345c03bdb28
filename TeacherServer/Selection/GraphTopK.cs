namespace Distill.TeacherServer.Selection;

/// <summary>
/// Rows' answers from a top-k the graph selected (<see cref="Onnx.TopKPlacement.Graph"/>): each position holds the run's
/// k log-probs and ids, most probable first, and a row that asked for fewer takes the first k. The order is made
/// <see cref="TopKSelector"/>'s (equal log-probs by ascending id, NaN last): ONNX TopK orders equal values by index, but
/// an execution provider's kernel need not, so a position out of that order is sorted again (O(k log k)).
/// </summary>
public static class GraphTopK
{
    private const int StackCandidates = 512;

    /// <summary>
    /// The first <paramref name="k"/> of each of <paramref name="count"/> consecutive positions from <paramref name="first"/>
    /// of a (positions × graphK) block; position i's go to i·k … i·k + k − 1 of the outputs.
    /// </summary>
    /// <exception cref="ArgumentException">k exceeds the graph's, the positions reach past the block, or the outputs do not hold count × k.</exception>
    public static void CopyPositions(ReadOnlySpan<float> logprobs, ReadOnlySpan<int> ids, int graphK, long first, int count, int k,
        Span<int> idsOut, Span<float> logprobsOut)
    {
        if (k > graphK || graphK <= 0 || ids.Length != logprobs.Length || first < 0 || count < 0 || (first + count) * graphK > logprobs.Length)
        {
            throw new ArgumentException($"positions {first} … {first + count - 1} at k = {k} do not lie in a block of {logprobs.Length} values selected at k = {graphK}.", nameof(logprobs));
        }
        if (idsOut.Length != (long)count * k || logprobsOut.Length != idsOut.Length)
        {
            throw new ArgumentException($"the outputs must hold {count} × {k} values.", nameof(idsOut));
        }
        Span<ulong> keys = graphK <= StackCandidates ? stackalloc ulong[graphK] : new ulong[graphK];
        Span<float> values = graphK <= StackCandidates ? stackalloc float[graphK] : new float[graphK];
        for (var i = 0; i < count; i++)
        {
            var at = (int)((first + i) * graphK);
            var positionLogprobs = logprobs.Slice(at, graphK);
            var positionIds = ids.Slice(at, graphK);
            var answerIds = idsOut.Slice(i * k, k);
            var answerLogprobs = logprobsOut.Slice(i * k, k);
            if (InOrder(positionLogprobs, positionIds))
            {
                positionIds[..k].CopyTo(answerIds);
                positionLogprobs[..k].CopyTo(answerLogprobs);
                continue;
            }
            for (var j = 0; j < graphK; j++)
            {
                keys[j] = LogprobRank.Key(positionLogprobs[j], positionIds[j]);
            }
            positionLogprobs.CopyTo(values);
            keys.Sort(values);
            for (var j = 0; j < k; j++)
            {
                answerIds[j] = (int)(uint)keys[j];
                answerLogprobs[j] = values[j];
            }
        }
    }

    private static bool InOrder(ReadOnlySpan<float> logprobs, ReadOnlySpan<int> ids)
    {
        for (var j = 1; j < logprobs.Length; j++)
        {
            if (LogprobRank.Key(logprobs[j - 1], ids[j - 1]) >= LogprobRank.Key(logprobs[j], ids[j]))
            {
                return false;
            }
        }
        return true;
    }
}
