using Distill.Shared.Wire;
using Distill.StudentTrainer.Data;
using Distill.StudentTrainer.Distillation;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Schemes;

/// <summary>
/// The teacher's top-k of a batch of prompt → response pairs at the response positions only: each row is its pair's
/// prompt ‖ response without the last token, unpadded, asked from its last prompt position (per-row starts), so a
/// teacher with a prefix cache runs only what it has not seen of each row (a replayed sample, a prompt asked before).
/// </summary>
public static class ResponseTopK
{
    public static TopKRequest Request(IReadOnlyList<TokenizedPair> pairs, int k, float temperature)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        if (pairs.Any(p => p.Prompt.Length == 0 || p.Response.Length == 0))
            throw new ArgumentException("every prompt and every response needs at least one token");
        return new TopKRequest([.. pairs.Select(p => (int[])[.. p.Prompt, .. p.Response[..^1]])], k, temperature,
            Starts: [.. pairs.Select(p => p.Prompt.Length - 1)]);
    }

    /// <summary>
    /// The answer laid out as the batch's targets (B, <paramref name="length"/>, k), position t of row b at t (as
    /// <see cref="PromptResponseBatch"/> lays out inputs). Positions without an answer (the prompt's and the padding,
    /// which the loss masks out) repeat the row's nearest answered position, so that every value stays a real
    /// distribution and the masked arithmetic finite.
    /// </summary>
    /// <exception cref="InvalidDataException">The answer does not hold each pair's response positions.</exception>
    public static TeacherTargets Targets(TopKResult answer, IReadOnlyList<TokenizedPair> pairs, int length)
    {
        ArgumentNullException.ThrowIfNull(answer);
        ArgumentNullException.ThrowIfNull(pairs);
        int k = answer.K;
        if (answer.Sequences.Count != pairs.Count)
            throw new InvalidDataException($"the teacher answered {answer.Sequences.Count} sequences for {pairs.Count} pairs");
        var ids = new long[(long)pairs.Count * length * k];
        var logProbs = new float[(long)pairs.Count * length * k];
        for (int b = 0; b < pairs.Count; b++)
        {
            SequenceTopK sequence = answer.Sequences[b];
            int start = pairs[b].Prompt.Length - 1;
            if (answer.StartOf(b) != start || sequence.Length != pairs[b].Response.Length || sequence.K != k || start + sequence.Length > length)
                throw new InvalidDataException(
                    $"the teacher answered {sequence.Length} positions × {sequence.K} from {answer.StartOf(b)} for pair {b}; asked for {pairs[b].Response.Length} × {k} from {start}");
            for (int t = 0; t < length; t++)
            {
                int answered = Math.Clamp(t - start, 0, sequence.Length - 1);
                long at = ((long)b * length + t) * k;
                ReadOnlySpan<int> rowIds = sequence.IdsAt(answered);
                for (int i = 0; i < k; i++) ids[at + i] = rowIds[i];
                sequence.LogprobsAt(answered).CopyTo(logProbs.AsSpan((int)at, k));
            }
        }
        return new TeacherTargets(tensor(ids, [pairs.Count, length, k]), tensor(logProbs, [pairs.Count, length, k]), answer.Version);
    }
}
