namespace Distill.StudentTrainer.Evaluation;

/// <summary>How a <see cref="PairEvaluator"/> evaluates a student on held-out prompt → response pairs.</summary>
public sealed record PairEvaluationOptions
{
    /// <summary>Teacher ids per position for KL and top-1 agreement (k); capped at the teacher's vocabulary size.</summary>
    public int TopK { get; init; } = 256;

    /// <summary>The first this many pairs (all, when there are fewer) are continued greedily for ROUGE-L; 0: no ROUGE-L.</summary>
    public int RougePairs { get; init; } = 64;

    /// <summary>Pairs per student forward pass, per teacher request and per generation batch.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Only the first this many pairs are evaluated; null: all.</summary>
    public int? MaxPairs { get; init; }

    /// <summary>Tokens the student and the teacher generate at most for a prompt; null: as many as its reference response has.</summary>
    public int? MaxNewTokens { get; init; }

    /// <exception cref="ArgumentException">A value is out of range.</exception>
    public void Validate()
    {
        if (TopK < 1) throw new ArgumentException($"the teacher's top-k must be ≥ 1, got {TopK}");
        if (RougePairs < 0) throw new ArgumentException($"the ROUGE-L pairs must be ≥ 0, got {RougePairs}");
        if (BatchSize < 1) throw new ArgumentException($"the evaluation batch size must be ≥ 1, got {BatchSize}");
        if (MaxPairs is < 1) throw new ArgumentException($"the maximum of evaluated pairs must be ≥ 1, got {MaxPairs}");
        if (MaxNewTokens is < 1) throw new ArgumentException($"the maximum of new tokens must be ≥ 1, got {MaxNewTokens}");
    }
}
