using Distill.Bench.Quality;

namespace Distill.Bench.Tests.Quality;

/// <summary>Hand-made runs for the quality bench's tests.</summary>
internal static class Runs
{
    public static readonly DateTimeOffset Finished = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    public static QualityResult Make(
        string method, int seed, double perplexity = 100, double kl = 0.5, double top1 = 0.5, double ece = 0.01,
        double rougeReference = 0.1, double rougeTeacher = 0.4, double wallSeconds = 300, long tokens = 1_200_000,
        double tokensPerSecond = 4000, string note = "", string? budget = FakeQualityRunner.BudgetKey) =>
        new(method, seed, perplexity, kl, top1, ece, rougeReference, rougeTeacher, wallSeconds, tokens, tokensPerSecond,
            Finished.AddMinutes(seed), note, budget);

    /// <summary>The trimmed cells of the table row of <paramref name="method"/>: method, n, seeds, then the figures.</summary>
    public static string[] Row(string report, string method)
    {
        string line = report.Split('\n').Single(line => line.StartsWith($"| `{method}` (", StringComparison.Ordinal));
        return [.. line.Trim().Trim('|').Split('|').Select(cell => cell.Trim())];
    }

    /// <summary>The cell of <paramref name="method"/>'s row under the column headed <paramref name="header"/>.</summary>
    public static string Cell(string report, string method, string header)
    {
        int column = QualityColumn.All.Select(c => c.Header).ToList().IndexOf(header);
        Assert.True(column >= 0, $"no column '{header}'");
        return Row(report, method)[3 + column];
    }
}

/// <summary>Answers each (method, seed) with figures made from the method's row and the seed, and records the calls.</summary>
internal sealed class FakeQualityRunner : IQualityRunner
{
    public List<QualityPair> Calls { get; } = [];

    /// <summary>Throws this when asked for this pair, as a failed or killed run would.</summary>
    public QualityPair? FailOn { get; init; }

    public const string BudgetKey = "10 steps of 2 pairs";

    public string Setup => "Student: test; teacher: test; budget: 10 steps; data: none.";

    public string Budget => BudgetKey;

    public Task<QualityResult> RunAsync(string method, int seed, CancellationToken ct)
    {
        var pair = new QualityPair(method, seed);
        Calls.Add(pair);
        if (pair == FailOn) throw new InvalidOperationException($"{pair} failed");
        int row = QualityMethods.RowOf(method);
        return Task.FromResult(Runs.Make(method, seed, perplexity: 100 + 10 * row + seed, kl: 0.1 * (row + 1), wallSeconds: 10 + row));
    }
}
