using Distill.Shared.Wire;
using Distill.StudentTrainer.Generation;
using Distill.StudentTrainer.Model;
using Distill.StudentTrainer.Teacher;

namespace Distill.StudentTrainer.Evaluation;

/// <summary>
/// Greedy continuations of prompts of different lengths, each prompt with its own limit of new tokens, by the student
/// (batched, KV-cached) and by the teacher. A continuation ends with the end-of-sequence id when it produced one.
/// </summary>
public static class GreedyContinuations
{
    /// <summary>
    /// The student's greedy continuations, at most <paramref name="limits"/>[i] tokens for prompt i, and as many as it
    /// would get alone: prompts are batched (<see cref="Batches"/>) so the shared padded width never cuts one short.
    /// </summary>
    /// <param name="prompts">Token ids of each prompt; each has 1 to ContextLength tokens.</param>
    /// <param name="limits">Per prompt, the most new tokens, ≥ 1.</param>
    /// <param name="eosId">A continuation that produces this id stops there; null: none stops early.</param>
    /// <param name="batchSize">Most prompts per batch.</param>
    public static int[][] OfStudent(CausalLm model, IReadOnlyList<int[]> prompts, IReadOnlyList<int> limits, int? eosId, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(model);
        CheckLimits(prompts, limits);
        var continuations = new int[prompts.Count][];
        foreach (int[] batch in Batches(prompts.Select(p => p.Length).ToArray(), limits, model.Config.ContextLength, batchSize))
        {
            var options = new GenerationOptions { MaxNewTokens = batch.Max(i => limits[i]), Temperature = 0, EosId = eosId };
            int[][] sampled = ResponseSampler.Sample(model, batch.Select(i => prompts[i]).ToArray(), options);
            for (int row = 0; row < batch.Length; row++) continuations[batch[row]] = sampled[row].Take(limits[batch[row]]).ToArray();
        }
        return continuations;
    }

    /// <summary>
    /// The teacher's greedy continuations (sampled at <see cref="ContinuationText.GreedyTeacherTemperature"/>, seed 0,
    /// stopping at its end-of-sequence id), at most <paramref name="limits"/>[i] tokens for prompt i; one generate request
    /// per <paramref name="batchSize"/> prompts, in order.
    /// </summary>
    /// <exception cref="InvalidDataException">The teacher answered another number of completions than it was asked for.</exception>
    public static int[][] OfTeacher(ITeacher teacher, IReadOnlyList<int[]> prompts, IReadOnlyList<int> limits, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(teacher);
        CheckLimits(prompts, limits);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var continuations = new List<int[]>(prompts.Count);
        for (int first = 0; first < prompts.Count; first += batchSize)
        {
            int count = Math.Min(batchSize, prompts.Count - first);
            int[] rowLimits = Enumerable.Range(first, count).Select(i => limits[i]).ToArray();
            var request = new GenerateRequest(prompts.Skip(first).Take(count).ToArray(), rowLimits.Max(),
                ContinuationText.GreedyTeacherTemperature, 1f, Seed: 0, StopAtEos: true);
            GenerateResponse response = teacher.GenerateAsync(request, CancellationToken.None).GetAwaiter().GetResult();
            if (response.Completions.Count != count)
                throw new InvalidDataException($"the teacher answered {response.Completions.Count} completions for {count} prompts");
            continuations.AddRange(response.Completions.Select((c, row) => c.Tokens.Take(rowLimits[row]).ToArray()));
        }
        return [.. continuations];
    }

    /// <summary>
    /// Groups prompt indices into batches of at most <paramref name="batchSize"/> for generation with left padding, where
    /// a batch generates at most contextLength − (its longest prompt) tokens per row: shortest prompts first, and a new
    /// batch whenever a longer prompt would leave a row of the batch fewer tokens than it gets alone,
    /// min(limit, contextLength − its prompt length).
    /// </summary>
    public static IEnumerable<int[]> Batches(IReadOnlyList<int> promptLengths, IReadOnlyList<int> limits, int contextLength, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(promptLengths);
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var batch = new List<int>();
        int needed = 0;
        foreach (int i in Enumerable.Range(0, promptLengths.Count).OrderBy(i => promptLengths[i]))
        {
            int room = contextLength - promptLengths[i];
            if (batch.Count == batchSize || needed > room)
            {
                yield return [.. batch];
                batch.Clear();
                needed = 0;
            }
            batch.Add(i);
            needed = Math.Max(needed, Math.Min(limits[i], room));
        }
        if (batch.Count > 0) yield return [.. batch];
    }

    private static void CheckLimits(IReadOnlyList<int[]> prompts, IReadOnlyList<int> limits)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(limits);
        if (prompts.Count != limits.Count) throw new ArgumentException($"{prompts.Count} prompts but {limits.Count} limits of new tokens");
        if (limits.Any(l => l < 1)) throw new ArgumentException("every limit of new tokens must be ≥ 1");
    }
}
