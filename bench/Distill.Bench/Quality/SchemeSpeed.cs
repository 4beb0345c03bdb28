using System.Globalization;
using System.Text;

namespace Distill.Bench.Quality;

/// <summary>
/// The "Speed of the schemes" section: wall seconds of training per 1,000 training tokens of the on-policy schemes
/// (on-policy with λ = 1, GKD with λ = 0.5, MiniLLM, DistiLLM as its schedule runs and with its student-generated
/// outputs on from step 1), mean ± sample std over seeds, and each DistiLLM's speed-up over each: the scheme's mean
/// divided by that DistiLLM's.
/// </summary>
public static class SchemeSpeed
{
    public static IReadOnlyList<string> Schemes { get; } = ["onpolicy", "gkd", "minillm", DistiLlm, DistiLlmOn];

    private const string DistiLlm = "distillm";
    private const string DistiLlmOn = "distillm-on";
    private const string Format = "F3";

    /// <summary>Wall seconds per 1,000 training tokens of each scheme with runs; runs without training tokens are left out.</summary>
    public static IReadOnlyDictionary<string, MeanStd> SecondsPerThousandTokens(IReadOnlyList<QualityResult> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var speeds = new Dictionary<string, MeanStd>();
        foreach (string scheme in Schemes)
        {
            double[] values = [.. runs.Where(run => run.Method == scheme && run.TrainingTokens > 0).Select(run => 1000 * run.WallSeconds / run.TrainingTokens)];
            if (values.Length > 0) speeds[scheme] = MeanStd.Of(values);
        }
        return speeds;
    }

    /// <summary>The speed-up of <paramref name="over"/> (distillm by default) over <paramref name="scheme"/> (ratio of mean seconds per token); null when either has no runs.</summary>
    public static double? SpeedUp(IReadOnlyDictionary<string, MeanStd> speeds, string scheme, string over = DistiLlm) =>
        speeds.TryGetValue(scheme, out MeanStd other) && speeds.TryGetValue(over, out MeanStd distillm)
            ? other.Mean / distillm.Mean
            : null;

    private static string Ratio(double? ratio) => ratio is double value ? value.ToString("F2", CultureInfo.InvariantCulture) + "×" : "—";

    /// <param name="runs">At most one run per (method, seed).</param>
    public static string Build(IReadOnlyList<QualityResult> runs)
    {
        IReadOnlyDictionary<string, MeanStd> speeds = SecondsPerThousandTokens(runs);
        var section = new StringBuilder();
        section.AppendLine("## Speed of the schemes");
        section.AppendLine();
        section.AppendLine("Wall seconds of training per 1,000 training tokens (mean ± sample std over the seeds run); " +
                           "a DistiLLM's speed-up over a scheme is that scheme's mean divided by the DistiLLM's.");
        section.AppendLine();
        section.AppendLine($"| scheme | n | s per 1,000 tokens | `{DistiLlm}`'s speed-up | `{DistiLlmOn}`'s speed-up |");
        section.AppendLine("| --- | ---: | ---: | ---: | ---: |");
        foreach (string scheme in Schemes)
        {
            if (!speeds.TryGetValue(scheme, out MeanStd speed))
            {
                section.AppendLine($"| `{scheme}` | 0 | {QualityTable.NotRun} | — | — |");
                continue;
            }
            section.AppendLine($"| `{scheme}` | {speed.N} | {QualityColumn.PrintMeanStd(speed, Format)} | " +
                               $"{Ratio(SpeedUp(speeds, scheme))} | {Ratio(SpeedUp(speeds, scheme, DistiLlmOn))} |");
        }
        return section.ToString();
    }
}
