namespace Distill.StudentTrainer.Generation;

/// <summary>How to continue a prompt.</summary>
public sealed record GenerationOptions
{
    /// <summary>Tokens to add at most; fewer when the context would overflow or every sequence ended.</summary>
    public int MaxNewTokens { get; init; } = 64;

    /// <summary>Softmax temperature; 0 means greedy (arg max).</summary>
    public double Temperature { get; init; } = 1.0;

    /// <summary>Keep only the k most likely tokens before sampling; 0 keeps all.</summary>
    public int TopK { get; init; }

    /// <summary>Keep the smallest set of tokens whose probability reaches p (nucleus sampling); 1 keeps all.</summary>
    public double TopP { get; init; } = 1.0;

    /// <summary>Seed of the sampling generator: the same seed gives the same tokens.</summary>
    public long Seed { get; init; } = 1234;

    /// <summary>A sequence that emits this id stops; it is padded with it afterwards. Null: never stop early.</summary>
    public int? EosId { get; init; }

    /// <summary>Feed only the new token each step and reuse cached keys/values (same tokens, much faster).</summary>
    public bool UseKvCache { get; init; } = true;

    public void Validate()
    {
        if (MaxNewTokens < 0) throw new ArgumentException($"max new tokens must be ≥ 0, got {MaxNewTokens}");
        if (!(Temperature >= 0) || double.IsInfinity(Temperature))
            throw new ArgumentException($"temperature must be a finite number ≥ 0, got {Temperature}");
        if (TopK < 0) throw new ArgumentException($"top-k must be ≥ 0, got {TopK}");
        if (!(TopP > 0 && TopP <= 1)) throw new ArgumentException($"top-p must be in (0, 1], got {TopP}");
    }
}
