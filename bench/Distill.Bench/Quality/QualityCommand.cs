using System.Globalization;

namespace Distill.Bench.Quality;

/// <summary>
/// <c>quality [--methods a,b,…] [--seeds 1,2,3] [--results bench/results] [--force] [--dry-run]</c>: trains and
/// evaluates every requested (method, seed) pair not stored yet, storing each as it finishes, and after each one
/// rewrites <c>quality.md</c> and <c>quality.png</c> from every stored run.
/// </summary>
public static class QualityCommand
{
    /// <returns>0 on success; 1 after a one-line "error:" on bad flags, a bad store or a failed run.</returns>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, IQualityRunner runner, TextWriter output, TextWriter error, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        try
        {
            QualityArgs options = QualityArgs.Parse(args);
            var store = new QualityStore(Path.Combine(options.ResultsFolder, QualityStore.FileName));
            StoredRuns stored = store.ReadAll();
            foreach (string warning in stored.Warnings) error.WriteLine($"warning: {warning}");
            IReadOnlyList<QualityPair> pairs = QualityPlan.PairsToRun(options.Methods, options.Seeds, stored.Runs, options.Force);
            if (pairs.Count > 0 && !options.DryRun) RequireSameBudget(store.Path, stored.Runs, runner.Budget);
            int requested = options.Methods.Count * options.Seeds.Count;
            output.WriteLine($"quality: {pairs.Count} of {requested} requested (method, seed) pairs to run" +
                             (options.Force ? " (--force)" : $", {requested - pairs.Count} already in {store.Path}"));
            if (options.DryRun)
            {
                foreach (QualityPair pair in pairs) output.WriteLine($"  would run {pair}");
                return 0;
            }
            if (pairs.Count == 0 && stored.Runs.Count > 0) WriteReport(options.ResultsFolder, runner.Setup, stored.Runs, output);
            for (int i = 0; i < pairs.Count; i++)
            {
                QualityPair pair = pairs[i];
                output.WriteLine($"[{i + 1}/{pairs.Count}] {pair}");
                QualityResult result = await runner.RunAsync(pair.Method, pair.Seed, ct);
                if (result.Pair != pair) throw new InvalidOperationException($"the runner was asked for {pair} and answered for {result.Pair}");
                store.Append(result);
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  perplexity {result.ValidationPerplexity:F2}, KL {result.KlToTeacher:F4}, {result.WallSeconds:N0} s, {result.TokensPerSecond:N0} tokens/s"));
                WriteReport(options.ResultsFolder, runner.Setup, store.ReadAll().Runs, output);
            }
            return 0;
        }
        catch (Exception exception) when (exception is ArgumentException or InvalidDataException or IOException
                                              or InvalidOperationException or NotImplementedException)
        {
            error.WriteLine($"error: {exception.Message}");
            return 1;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            error.WriteLine("error: cancelled; the runs that finished are stored");
            return 1;
        }
    }

    /// <exception cref="InvalidOperationException">A stored run was trained with another budget.</exception>
    private static void RequireSameBudget(string store, IReadOnlyList<QualityResult> runs, string budget)
    {
        string? other = runs.Select(run => run.Budget).FirstOrDefault(stored => stored is not null && stored != budget);
        if (other is not null)
            throw new InvalidOperationException($"{store} holds runs of another budget ({other}) than this bench's ({budget}); pass --results <another folder>");
    }

    private static void WriteReport(string folder, string setup, IReadOnlyList<QualityResult> runs, TextWriter output)
    {
        string report = Path.Combine(folder, QualityReport.FileName);
        QualityReport.Write(report, setup, runs);
        string chart = Path.Combine(folder, QualityChart.FileName);
        if (runs.Any(run => QualityMethods.IsKnown(run.Method)))
        {
            QualityChart.Write(chart, runs);
            output.WriteLine($"  wrote {report} and {chart}");
        }
        else
        {
            output.WriteLine($"  wrote {report}");
        }
    }
}
