namespace Distill.StudentTrainer.Schemes;

/// <summary>How <see cref="TeacherResponses"/> asks the teacher for responses (sequence-level KD).</summary>
public sealed record TeacherResponseOptions
{
    /// <summary>Tokens the teacher adds at most to each prompt: the task's response length.</summary>
    public int MaxNewTokens { get; init; } = 64;

    /// <summary>Sampling temperature of the teacher, &gt; 0; 1 samples from its own distribution.</summary>
    public float Temperature { get; init; } = 1f;

    /// <summary>Nucleus sampling: the teacher samples among its most probable tokens whose mass reaches p; 1 keeps all.</summary>
    public float TopP { get; init; } = 1f;

    /// <summary>Seed of the first prompt; prompt i is sampled with seed + i, however the prompts are split into requests.</summary>
    public int Seed { get; init; } = 1234;

    /// <summary>Prompts per generate request.</summary>
    public int PromptsPerRequest { get; init; } = 32;

    /// <summary>Folder of the response files, so a repeated or resumed run reads them instead of asking again; null: none.</summary>
    public string? CacheFolder { get; init; }

    public void Validate()
    {
        if (MaxNewTokens < 1) throw new ArgumentException($"max new tokens must be ≥ 1, got {MaxNewTokens}");
        if (!(Temperature > 0) || float.IsInfinity(Temperature))
            throw new ArgumentException($"temperature must be a finite number > 0, got {Temperature}");
        if (!(TopP > 0 && TopP <= 1)) throw new ArgumentException($"top-p must be in (0, 1], got {TopP}");
        if (PromptsPerRequest < 1) throw new ArgumentException($"prompts per request must be ≥ 1, got {PromptsPerRequest}");
        if (CacheFolder is not null && string.IsNullOrWhiteSpace(CacheFolder))
            throw new ArgumentException("the cache folder must be null or a path");
    }
}
