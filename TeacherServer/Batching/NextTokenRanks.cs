using System.Numerics;

namespace Distill.TeacherServer.Batching;

/// <summary>
/// The rank of each position's next token over the full vocabulary: 1 + the number of entries with a larger log-prob
/// (ties share the better rank), counted from the run's [positions × width] log-probs, the same values the next-token
/// log-prob was gathered from: the whole vocabulary's, or the k the graph selected (top-k in the graph), where a token
/// below all k gets k + 1, a lower bound.
/// </summary>
public static class NextTokenRanks
{
    /// <param name="logprobs">The run's log-probs, positions × <paramref name="vocab"/> (the vocabulary, or the graph's k).</param>
    /// <param name="first">The block position of the first answered position.</param>
    /// <param name="next">Each answered position's next-token log-prob; NaN where there is no next token (rank 0).</param>
    public static int[] Of(ReadOnlySpan<float> logprobs, int vocab, long first, ReadOnlySpan<float> next)
    {
        var ranks = new int[next.Length];
        for (var i = 0; i < next.Length; i++)
        {
            ranks[i] = float.IsNaN(next[i]) ? 0 : 1 + CountLarger(logprobs.Slice((int)((first + i) * vocab), vocab), next[i]);
        }
        return ranks;
    }

    /// <summary>How many of <paramref name="values"/> are larger than <paramref name="value"/> (NaN entries are not).</summary>
    public static int CountLarger(ReadOnlySpan<float> values, float value)
    {
        var count = 0;
        var i = 0;
        if (Vector.IsHardwareAccelerated && values.Length >= Vector<float>.Count)
        {
            var limit = new Vector<float>(value);
            var counts = Vector<int>.Zero;
            for (; i <= values.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                // A true lane is −1, so subtracting the mask adds one per larger value.
                counts -= Vector.GreaterThan(new Vector<float>(values[i..]), limit);
            }
            count = Vector.Sum(counts);
        }
        for (; i < values.Length; i++)
        {
            if (values[i] > value)
            {
                count++;
            }
        }
        return count;
    }
}
