using Distill.Shared.Wire;
using Distill.StudentTrainer.Data;
using Distill.StudentTrainer.Distillation;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Evaluation;

/// <summary>
/// The teacher's top-k at the response positions of prompt → response pairs only, in the order in which a
/// <see cref="PromptResponseBatch"/> of the same pairs has its mask true: pair by pair, left to right.
/// </summary>
public static class ResponseTeacherTargets
{
    /// <summary>What to ask the teacher about: each pair's inputs, prompt ‖ response without its last token.</summary>
    public static int[][] Sequences(IReadOnlyList<TokenizedPair> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        return pairs.Select(p => (int[])[.. p.Prompt, .. p.Response.AsSpan(0, p.Response.Length - 1)]).ToArray();
    }

    /// <param name="answer">The teacher's answer for the <see cref="Sequences"/> of <paramref name="pairs"/>.</param>
    /// <returns>
    /// Targets (1, M, k) on the CPU, M = Σ response lengths: of pair b, the positions |prompt_b| − 1 … |prompt_b| + |response_b| − 2,
    /// whose next tokens are the response tokens.
    /// </returns>
    /// <exception cref="InvalidDataException">The answer does not hold one sequence of the asked length per pair.</exception>
    public static TeacherTargets From(TopKResult answer, IReadOnlyList<TokenizedPair> pairs)
    {
        ArgumentNullException.ThrowIfNull(answer);
        ArgumentNullException.ThrowIfNull(pairs);
        if (answer.Sequences.Count != pairs.Count || answer.Start != 0)
            throw new InvalidDataException($"the teacher answered {answer.Sequences.Count} sequences from position {answer.Start} for {pairs.Count} from position 0");
        int k = answer.K;
        int positions = pairs.Sum(p => p.Response.Length);
        var ids = new long[(long)positions * k];
        var logProbs = new float[(long)positions * k];
        int offset = 0;
        for (int b = 0; b < pairs.Count; b++)
        {
            SequenceTopK sequence = answer.Sequences[b];
            int length = pairs[b].Prompt.Length + pairs[b].Response.Length - 1;
            if (sequence.Length != length || sequence.K != k)
                throw new InvalidDataException($"the teacher answered {sequence.Length} positions × {sequence.K} for a sequence of {length} × {k}");
            int first = (pairs[b].Prompt.Length - 1) * k;
            int count = pairs[b].Response.Length * k;
            for (int i = 0; i < count; i++) ids[offset + i] = sequence.Ids[first + i];
            sequence.Logprobs.AsSpan(first, count).CopyTo(logProbs.AsSpan(offset));
            offset += count;
        }
        return new TeacherTargets(tensor(ids, [1, positions, k]), tensor(logProbs, [1, positions, k]), answer.Version);
    }
}
