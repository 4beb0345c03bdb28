namespace Distill.Bench.Quality;

/// <summary>
/// Trains and evaluates one method with one seed on the quality bench's fixed student, teacher, budget and data.
/// Every call of one runner uses the same setup, so results of different methods and seeds are comparable.
/// </summary>
public interface IQualityRunner
{
    /// <summary>A Markdown paragraph naming the setup shared by all runs: student, teacher, budget, data.</summary>
    string Setup { get; }

    /// <summary>The <see cref="QualityBudget.Key"/> of every run this runner makes.</summary>
    string Budget { get; }

    /// <summary>Trains <paramref name="method"/> (a name of <see cref="QualityMethods"/>) with <paramref name="seed"/> and evaluates the student.</summary>
    /// <returns>The measured figures; its method and seed are the ones asked for.</returns>
    Task<QualityResult> RunAsync(string method, int seed, CancellationToken ct);
}
