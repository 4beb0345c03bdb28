namespace Distill.StudentTrainer.Data;

/// <summary>How <see cref="TaskSetBuilder"/> cuts passages.</summary>
public sealed record TaskSetOptions
{
    /// <summary>Tokens of each prompt.</summary>
    public int PromptTokens { get; init; } = 64;

    /// <summary>Tokens of each response (the continuation of the prompt).</summary>
    public int ResponseTokens { get; init; } = 64;

    /// <summary>Seed of the choice of passages.</summary>
    public int Seed { get; init; } = 1234;

    /// <summary>An id no passage may contain, e.g. the end-of-text id between chapters; null for none.</summary>
    public int? SeparatorId { get; init; }

    public void Validate()
    {
        if (PromptTokens < 1) throw new ArgumentException($"prompt tokens must be ≥ 1, got {PromptTokens}");
        if (ResponseTokens < 1) throw new ArgumentException($"response tokens must be ≥ 1, got {ResponseTokens}");
    }
}
