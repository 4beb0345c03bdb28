using System.Text;

namespace Distill.Bench.Quality;

/// <summary>
/// The Markdown table of the quality bench: one row per method of <see cref="QualityMethods"/> in order, a row
/// without runs saying "not run"; each figure the mean ± sample std over the seeds run, the best mean of each
/// column in bold.
/// </summary>
public static class QualityTable
{
    public const string NotRun = "not run";

    /// <param name="runs">At most one run per (method, seed); runs of other methods are left out.</param>
    public static string Build(IReadOnlyList<QualityResult> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        IReadOnlyList<QualityColumn> columns = QualityColumn.All;
        var byMethod = QualityMethods.All.ToDictionary(
            method => method.Name,
            method => runs.Where(run => run.Method == method.Name).OrderBy(run => run.Seed).ToList());
        var figures = byMethod.ToDictionary(
            entry => entry.Key,
            entry => entry.Value.Count == 0 ? null : columns.Select(column => MeanStd.Of([.. entry.Value.Select(column.Value)])).ToArray());

        var table = new StringBuilder();
        table.AppendLine($"| method | n | seeds | {string.Join(" | ", columns.Select(column => column.Header))} |");
        table.AppendLine($"| --- | ---: | --- |{string.Concat(columns.Select(_ => " ---: |"))}");
        foreach (QualityMethod method in QualityMethods.All)
        {
            List<QualityResult> methodRuns = byMethod[method.Name];
            table.Append($"| `{method.Name}` ({method.Description}) | {methodRuns.Count} | {string.Join(", ", methodRuns.Select(run => run.Seed))} |");
            if (figures[method.Name] is not { } own)
            {
                table.AppendLine($" {NotRun} |{string.Concat(columns.Skip(1).Select(_ => " — |"))}");
                continue;
            }
            for (int c = 0; c < columns.Count; c++)
            {
                QualityColumn column = columns[c];
                IEnumerable<double> means = figures.Values.OfType<MeanStd[]>().Select(row => row[c].Mean);
                string cell = column.Print(own[c]);
                table.Append(column.IsBest(own[c].Mean, means) ? $" **{cell}** |" : $" {cell} |");
            }
            table.AppendLine();
        }
        return table.ToString();
    }
}
