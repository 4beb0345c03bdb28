namespace Distill.Bench.Quality;

/// <summary>Which (method, seed) pairs a <c>quality</c> command runs.</summary>
public static class QualityPlan
{
    /// <summary>
    /// The requested pairs not stored yet (all of them with <paramref name="force"/>), seed by seed: every method with
    /// the first seed, then with the second, so a bench stopped early still leaves a full table of fewer seeds.
    /// </summary>
    public static IReadOnlyList<QualityPair> PairsToRun(
        IReadOnlyList<string> methods, IReadOnlyList<int> seeds, IEnumerable<QualityResult> stored, bool force)
    {
        ArgumentNullException.ThrowIfNull(methods);
        ArgumentNullException.ThrowIfNull(seeds);
        ArgumentNullException.ThrowIfNull(stored);
        HashSet<QualityPair> present = force ? [] : [.. stored.Select(run => run.Pair)];
        return [.. seeds.SelectMany(seed => methods.Select(method => new QualityPair(method, seed))).Where(pair => !present.Contains(pair))];
    }
}
