namespace Distill.Bench.Quality;

/// <summary>Stands in for the runner that trains the methods until that runner exists; it trains nothing.</summary>
public sealed class UnwiredQualityRunner : IQualityRunner
{
    public string Setup => "The runner that trains the methods is not wired in yet, so the setup is not known.";

    public Task<QualityResult> RunAsync(string method, int seed, CancellationToken ct) =>
        throw new NotImplementedException($"training {method} (seed {seed}) for the quality bench is wired in a later change");
}
