using Distill.StudentTrainer.Evaluation;

namespace Distill.StudentTrainer.Tests.Evaluation;

public class RougeLTests
{
    [Fact]
    public void Identical_texts_score_one()
    {
        Assert.Equal(1.0, RougeL.FMeasure("the cat sat on the mat", "the cat sat on the mat"), 12);
    }

    [Fact]
    public void Texts_with_no_common_token_score_zero()
    {
        Assert.Equal(0.0, RougeL.FMeasure("alpha beta gamma", "delta epsilon"));
    }

    [Fact]
    public void Worked_example_has_the_hand_computed_lcs_and_f_measure()
    {
        // Candidate: the quick brown dog jumps on the log (8 tokens); reference: the quick brown fox jumps over the lazy dog (9).
        // LCS = "the quick brown jumps the" = 5, so P = 5/8, R = 5/9 and F = 2PR/(P+R) = 10/17.
        const string candidate = "The quick brown dog jumps on the log.";
        const string reference = "The quick brown fox jumps over the lazy dog";
        Assert.Equal(5, RougeL.LongestCommonSubsequence<string>(RougeL.Tokenize(candidate), RougeL.Tokenize(reference)));
        double precision = 5.0 / 8, recall = 5.0 / 9;
        Assert.Equal(2 * precision * recall / (precision + recall), RougeL.FMeasure(candidate, reference), 12);
        Assert.Equal(10.0 / 17, RougeL.FMeasure(candidate, reference), 12);
    }

    [Fact]
    public void Token_id_overload_scores_the_textbook_lcs_example()
    {
        // ABCBDAB vs BDCABA (A=1, B=2, C=3, D=4): LCS length 4 (e.g. BCBA), P = 4/7, R = 4/6, F = 8/13.
        int[] candidate = [1, 2, 3, 2, 4, 1, 2];
        int[] reference = [2, 4, 3, 1, 2, 1];
        Assert.Equal(4, RougeL.LongestCommonSubsequence<int>(candidate, reference));
        Assert.Equal(8.0 / 13, RougeL.FMeasure<int>(candidate, reference), 12);
        long[] asLong = [.. candidate.Select(id => (long)id)];
        long[] referenceAsLong = [.. reference.Select(id => (long)id)];
        Assert.Equal(8.0 / 13, RougeL.FMeasure<long>(asLong, referenceAsLong), 12);
    }

    [Theory]
    [InlineData("", "")]
    [InlineData("", "some reference")]
    [InlineData("some candidate", "")]
    [InlineData("?!...", "words here")]
    public void Empty_inputs_score_zero_without_nan(string candidate, string reference)
    {
        double score = RougeL.FMeasure(candidate, reference);
        Assert.False(double.IsNaN(score));
        Assert.Equal(0.0, score);
    }

    [Fact]
    public void Empty_token_sequences_score_zero()
    {
        Assert.Equal(0.0, RougeL.FMeasure<int>([], []));
        Assert.Equal(0.0, RougeL.FMeasure<int>([], [1, 2]));
    }

    [Fact]
    public void Case_and_punctuation_are_ignored()
    {
        Assert.Equal(1.0, RougeL.FMeasure("Hello, WORLD!!", "hello world"), 12);
        Assert.Equal(1.0, RougeL.FMeasure("well-known (fact)", "Well known; fact."), 12);
    }

    [Fact]
    public void Tokenize_keeps_lowercase_ascii_letters_and_digits_like_rouge_score()
    {
        Assert.Equal(["don", "t", "stop", "now", "3", "14", "caf"], RougeL.Tokenize("Don't STOP—now! 3.14 Café"));
    }

    [Fact]
    public void Mean_averages_the_pairs_and_refuses_none()
    {
        Assert.Equal(0.5, RougeL.Mean([("a b", "a b"), ("a", "b")]), 12);
        Assert.Equal((1.0 + 8.0 / 13) / 2, RougeL.Mean<int>([([5, 6], [5, 6]), ([1, 2, 3, 2, 4, 1, 2], [2, 4, 3, 1, 2, 1])]), 12);
        Assert.Throws<ArgumentException>(() => RougeL.Mean(Array.Empty<(string, string)>()));
    }
}
