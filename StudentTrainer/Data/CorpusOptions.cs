using Distill.Shared.Data;

namespace Distill.StudentTrainer.Data;

/// <summary>How a corpus is split and where its token files are kept.</summary>
/// <param name="TokenCache">The folder of <see cref="CorpusTokenCache"/>; null: <see cref="CorpusTokenCache.DefaultFolder"/>.</param>
public sealed record CorpusOptions(SplitFractions Fractions, string? TokenCache = null)
{
    /// <summary>5 % validation, 5 % test, the default cache folder.</summary>
    public static CorpusOptions Default { get; } = new(SplitFractions.Default);
}
