using Distill.StudentTrainer.Data;

namespace Distill.Bench.Quality;

/// <summary>
/// The bench's runner, made on the first run it is asked for: a dry run, or a command with nothing left to run, neither
/// pretrains the student nor starts the teacher.
/// </summary>
public sealed class LazyQualityRunner(QualityBudget budget, string runs) : IQualityRunner, IAsyncDisposable
{
    private QualityRunner? _runner;

    public string Setup { get; } = budget.Describe(
        PromptResponseFile.Read(Path.Combine("data/tasks", TaskSetFiles.Train)).Count,
        PromptResponseFile.Read(Path.Combine("data/tasks", TaskSetFiles.Test)).Count, rougePairs: 64);

    public string Budget { get; } = budget.Key;

    public async Task<QualityResult> RunAsync(string method, int seed, CancellationToken ct)
    {
        _runner ??= await QualityRunner.CreateAsync(budget, runs, ct);
        return await _runner.RunAsync(method, seed, ct);
    }

    public async ValueTask DisposeAsync()
    {
        if (_runner is not null) await _runner.DisposeAsync();
    }
}
