using System.Globalization;
using System.Text;
using Distill.StudentTrainer.Export;

namespace Distill.Bench.Quality;

/// <summary>
/// <c>quality.md</c>: the setup paragraph, the quality table, the speed of the on-policy schemes and the runs' notes,
/// built from every stored run (the last run of each (method, seed) pair).
/// </summary>
public static class QualityReport
{
    public const string FileName = "quality.md";

    /// <param name="setup">A Markdown paragraph naming the student, teacher, budget and data (<see cref="IQualityRunner.Setup"/>).</param>
    /// <param name="runs">Stored runs in file order; a later run of a (method, seed) pair replaces an earlier one.</param>
    public static string Build(string setup, IEnumerable<QualityResult> runs)
    {
        ArgumentNullException.ThrowIfNull(setup);
        ArgumentNullException.ThrowIfNull(runs);
        IReadOnlyList<QualityResult> latest = StoredRuns.LatestOf(runs);
        var report = new StringBuilder();
        report.AppendLine("# Quality of the distillation methods");
        report.AppendLine();
        report.AppendLine(setup.Trim());
        report.AppendLine();
        report.AppendLine("Each figure is the mean ± sample standard deviation over the n seeds run (the mean alone when n = 1); " +
                          "bold marks the best mean of each column (lowest perplexity, KL, ECE and wall time; highest agreement, " +
                          $"ROUGE-L and tokens/s). Every run is in `{QualityStore.FileName}`; the chart is `{QualityChart.FileName}`." +
                          (latest.Count > 0 ? $" Last run finished {latest.Max(run => run.FinishedAt).ToUniversalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC." : ""));
        report.AppendLine();
        report.Append(QualityTable.Build(latest));
        report.AppendLine();
        report.Append(SchemeSpeed.Build(latest));
        string notes = Notes(latest);
        if (notes.Length > 0)
        {
            report.AppendLine();
            report.AppendLine("## Notes");
            report.AppendLine();
            report.Append(notes);
        }
        return report.ToString();
    }

    /// <summary>Writes <see cref="Build"/> to <paramref name="path"/>, replacing the file atomically.</summary>
    public static void Write(string path, string setup, IEnumerable<QualityResult> runs)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string text = Build(setup, runs);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        AtomicFile.Write(path, stream => stream.Write(Encoding.UTF8.GetBytes(text)));
    }

    private static string Notes(IReadOnlyList<QualityResult> latest)
    {
        var notes = new StringBuilder();
        foreach (QualityResult run in latest.OrderBy(run => QualityMethods.RowOf(run.Method)).ThenBy(run => run.Seed))
        {
            if (!QualityMethods.IsKnown(run.Method)) notes.AppendLine($"- `{run.Method}` seed {run.Seed}: not a method of the table; left out.");
            else if (!string.IsNullOrWhiteSpace(run.Note)) notes.AppendLine($"- `{run.Method}` seed {run.Seed}: {run.Note.Trim()}");
        }
        return notes.ToString();
    }
}
