namespace Distill.StudentTrainer.Data;

/// <summary>
/// Picks prompt → continuation passages from a token stream. The stream is cut into consecutive slots of
/// prompt + response tokens from a seeded offset below the slot length; slots holding the separator id are dropped;
/// the rest are shuffled with the seed and the first ones taken. Passages therefore never overlap, and the same
/// stream, count and options always give the same passages in the same order.
/// </summary>
public static class TaskSetBuilder
{
    /// <summary>
    /// Up to <paramref name="count"/> passages of <paramref name="stream"/>; fewer when fewer fit without overlapping.
    /// </summary>
    public static IReadOnlyList<TaskPassage> Pick(TokenStream stream, int count, TaskSetOptions options)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (count < 0) throw new ArgumentException($"the number of passages must be ≥ 0, got {count}");

        int length = options.PromptTokens + options.ResponseTokens;
        var random = new Random(options.Seed);
        int offset = random.Next(length);
        var starts = new List<int>();
        for (int start = offset; start + length <= stream.Count; start += length)
            if (options.SeparatorId is not int separator || !stream.Read(start, length).Contains(separator))
                starts.Add(start);
        int[] chosen = [.. starts];
        random.Shuffle(chosen);
        return chosen.Take(count).Select(start => new TaskPassage(
            start,
            stream.Read(start, options.PromptTokens),
            stream.Read(start + options.PromptTokens, options.ResponseTokens))).ToArray();
    }
}
