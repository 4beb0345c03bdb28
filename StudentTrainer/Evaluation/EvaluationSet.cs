using Distill.StudentTrainer.Data;

namespace Distill.StudentTrainer.Evaluation;

/// <summary>
/// The held-out text a student is evaluated on, all from one split: every token (perplexity), evenly spaced windows
/// (agreement with the teacher, calibration) and evenly spaced prompts with their true continuations (ROUGE-L).
/// </summary>
public sealed class EvaluationSet
{
    public EvaluationSet(TokenStream split, int windowLength, int windows, int promptLength, int prompts, int continuationLength)
    {
        ArgumentNullException.ThrowIfNull(split);
        if (windowLength < 1 || windows < 1 || promptLength < 1 || prompts < 0 || continuationLength < 1)
            throw new ArgumentException("evaluation windows, prompts and lengths must be positive");
        if (split.Count < windowLength + 1 || split.Count < promptLength + continuationLength)
            throw new ArgumentException($"the evaluation split of {split.Count} tokens is too short for its windows and prompts");
        Split = split;
        WindowLength = windowLength;
        WindowStarts = EvenlySpaced(windows, split.Count - windowLength - 1);
        int[] promptStarts = EvenlySpaced(prompts, split.Count - promptLength - continuationLength);
        Prompts = promptStarts.Select(start => split.Read(start, promptLength)).ToArray();
        References = promptStarts.Select(start => split.Read(start + promptLength, continuationLength)).ToArray();
        ContinuationLength = continuationLength;
    }

    public TokenStream Split { get; }

    public int WindowLength { get; }

    /// <summary>Start of each agreement window of <see cref="WindowLength"/> + 1 tokens.</summary>
    public int[] WindowStarts { get; }

    public int[][] Prompts { get; }

    /// <summary>The true continuation of each prompt.</summary>
    public int[][] References { get; }

    public int ContinuationLength { get; }

    /// <summary>Token ids of the inputs of the agreement windows from <paramref name="first"/> on, at most <paramref name="count"/>.</summary>
    public int[][] WindowInputs(int first, int count) =>
        WindowStarts.Skip(first).Take(count).Select(start => Split.Read(start, WindowLength)).ToArray();

    private static int[] EvenlySpaced(int count, int lastStart) =>
        Enumerable.Range(0, count).Select(i => (int)((long)i * lastStart / Math.Max(1, count))).Distinct().ToArray();
}
