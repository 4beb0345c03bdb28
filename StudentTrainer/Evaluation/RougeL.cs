namespace Distill.StudentTrainer.Evaluation;

/// <summary>
/// ROUGE-L (Lin, 2004): the F-measure (β = 1) of the longest common subsequence of a candidate and a reference,
/// with precision LCS/|candidate| and recall LCS/|reference|. Text is tokenised as the rouge-score package does by
/// default: lowercase, every run of characters outside [a-z0-9] becomes a space, split on spaces; no stemming.
/// An empty candidate or reference scores 0.
/// </summary>
public static class RougeL
{
    /// <summary>ROUGE-L F-measure of two texts, in [0, 1].</summary>
    public static double FMeasure(string candidate, string reference)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentNullException.ThrowIfNull(reference);
        return FMeasure<string>(Tokenize(candidate), Tokenize(reference));
    }

    /// <summary>ROUGE-L F-measure of two token sequences (token ids, or any tokens compared by equality), in [0, 1].</summary>
    public static double FMeasure<T>(ReadOnlySpan<T> candidate, ReadOnlySpan<T> reference) where T : IEquatable<T>
    {
        if (candidate.IsEmpty || reference.IsEmpty) return 0;
        int common = LongestCommonSubsequence(candidate, reference);
        if (common == 0) return 0;
        double precision = (double)common / candidate.Length;
        double recall = (double)common / reference.Length;
        return 2 * precision * recall / (precision + recall);
    }

    /// <summary>The mean ROUGE-L F-measure over (candidate, reference) text pairs.</summary>
    /// <exception cref="ArgumentException">There are no pairs.</exception>
    public static double Mean(IEnumerable<(string Candidate, string Reference)> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        return MeanOf(pairs.Select(pair => FMeasure(pair.Candidate, pair.Reference)));
    }

    /// <summary>The mean ROUGE-L F-measure over (candidate, reference) token sequence pairs.</summary>
    /// <exception cref="ArgumentException">There are no pairs.</exception>
    public static double Mean<T>(IEnumerable<(T[] Candidate, T[] Reference)> pairs) where T : IEquatable<T>
    {
        ArgumentNullException.ThrowIfNull(pairs);
        return MeanOf(pairs.Select(pair => FMeasure<T>(pair.Candidate, pair.Reference)));
    }

    /// <summary>The rouge-score default tokens of <paramref name="text"/>: lowercase ASCII letters and digits.</summary>
    public static string[] Tokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var tokens = new List<string>();
        var token = new System.Text.StringBuilder();
        foreach (char c in text.ToLowerInvariant())
        {
            if (c is >= 'a' and <= 'z' or >= '0' and <= '9')
            {
                token.Append(c);
            }
            else if (token.Length > 0)
            {
                tokens.Add(token.ToString());
                token.Clear();
            }
        }
        if (token.Length > 0) tokens.Add(token.ToString());
        return [.. tokens];
    }

    /// <summary>The length of the longest common subsequence of two sequences; O(|a|·|b|) time, O(|b|) memory.</summary>
    public static int LongestCommonSubsequence<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b) where T : IEquatable<T>
    {
        // previous[j] = LCS(a[..i], b[..j]) for the row before i; current is the row being filled.
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int i = 0; i < a.Length; i++)
        {
            for (int j = 0; j < b.Length; j++)
            {
                current[j + 1] = a[i].Equals(b[j]) ? previous[j] + 1 : Math.Max(previous[j + 1], current[j]);
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }

    private static double MeanOf(IEnumerable<double> scores)
    {
        double sum = 0;
        int count = 0;
        foreach (double score in scores)
        {
            sum += score;
            count++;
        }
        if (count == 0) throw new ArgumentException("ROUGE-L needs at least one (candidate, reference) pair.", "pairs");
        return sum / count;
    }
}
