using System.Globalization;
using Distill.Bench.Quality;

namespace Distill.Bench.Tests.Quality;

public sealed class QualityReportTests
{
    private const string Setup = "Student 1.3 M parameters; teacher austen-gpt; 300 steps; data/austen.";

    /// <summary>kd over three seeds, every figure in steps of a round number so mean and sample std are exact.</summary>
    private static QualityResult[] ThreeKdSeeds() =>
    [
        Runs.Make("kd", 1, perplexity: 10, kl: 0.1, top1: 0.5, wallSeconds: 100, tokensPerSecond: 1000),
        Runs.Make("kd", 2, perplexity: 12, kl: 0.2, top1: 0.6, wallSeconds: 200, tokensPerSecond: 2000),
        Runs.Make("kd", 3, perplexity: 14, kl: 0.3, top1: 0.7, wallSeconds: 300, tokensPerSecond: 3000),
    ];

    [Fact]
    public void Figures_are_mean_and_sample_std_over_the_seeds()
    {
        string report = QualityReport.Build(Setup, ThreeKdSeeds());

        string[] row = Runs.Row(report, "kd");
        Assert.Equal("3", row[1]);
        Assert.Equal("1, 2, 3", row[2]);
        Assert.Contains("12.00 ± 2.00", Runs.Cell(report, "kd", "held-out perplexity"));
        Assert.Contains("0.2000 ± 0.1000", Runs.Cell(report, "kd", "KL to teacher"));
        Assert.Contains("60.0 ± 10.0", Runs.Cell(report, "kd", "top-1 agreement (%)"));
        Assert.Contains("200 ± 100", Runs.Cell(report, "kd", "wall time (s)"));
        Assert.Contains("2,000 ± 1,000", Runs.Cell(report, "kd", "tokens/s"));
    }

    [Fact]
    public void Numbers_do_not_follow_the_current_culture()
    {
        CultureInfo before = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("de-DE");
            string report = QualityReport.Build(Setup, ThreeKdSeeds());
            Assert.Contains("12.00 ± 2.00", Runs.Cell(report, "kd", "held-out perplexity"));
            Assert.Contains("2,000 ± 1,000", Runs.Cell(report, "kd", "tokens/s"));
        }
        finally
        {
            CultureInfo.CurrentCulture = before;
        }
    }

    [Fact]
    public void One_seed_shows_the_mean_alone()
    {
        string report = QualityReport.Build(Setup, [Runs.Make("js", 4, perplexity: 123.456)]);

        Assert.Equal("123.46", Runs.Cell(report, "js", "held-out perplexity").Trim('*'));
    }

    [Fact]
    public void A_pair_run_again_replaces_the_earlier_run()
    {
        string report = QualityReport.Build(Setup,
        [
            Runs.Make("kd", 1, perplexity: 50),
            Runs.Make("sft", 1, perplexity: 60),
            Runs.Make("kd", 1, perplexity: 70),
        ]);

        Assert.Equal("1", Runs.Row(report, "kd")[1]);
        Assert.Equal("70.00", Runs.Cell(report, "kd", "held-out perplexity").Trim('*'));
        Assert.DoesNotContain("50.00", report);
    }

    [Fact]
    public void Every_method_has_a_row_in_order_and_those_without_runs_say_not_run()
    {
        string report = QualityReport.Build(Setup, [.. ThreeKdSeeds(), Runs.Make("distillm", 1)]);

        int[] positions = [.. QualityMethods.Names.Select(name => report.IndexOf($"| `{name}` (", StringComparison.Ordinal))];
        Assert.All(positions, position => Assert.True(position >= 0));
        Assert.Equal(positions.Order(), positions);
        foreach (string method in QualityMethods.Names.Except(["kd", "distillm"]))
        {
            string[] row = Runs.Row(report, method);
            Assert.Equal("0", row[1]);
            Assert.Equal(QualityTable.NotRun, row[3]);
        }
        Assert.DoesNotContain(QualityTable.NotRun, Runs.Row(report, "kd"));
        Assert.DoesNotContain(QualityTable.NotRun, Runs.Row(report, "distillm"));
    }

    [Fact]
    public void The_best_mean_of_each_column_is_bold_in_the_direction_that_is_better()
    {
        // kd is better on perplexity, KL, agreement and ROUGE-L vs teacher; sft on ECE, ROUGE-L vs reference, time and tokens/s.
        string report = QualityReport.Build(Setup,
        [
            Runs.Make("kd", 1, perplexity: 10, kl: 0.2, top1: 0.6, ece: 0.02, rougeReference: 0.1, rougeTeacher: 0.5, wallSeconds: 400, tokensPerSecond: 3000),
            Runs.Make("sft", 1, perplexity: 20, kl: 0.9, top1: 0.3, ece: 0.001, rougeReference: 0.5, rougeTeacher: 0.1, wallSeconds: 50, tokensPerSecond: 9000),
        ]);

        string[] kdBest = ["held-out perplexity", "KL to teacher", "top-1 agreement (%)", "ROUGE-L vs teacher"];
        foreach (QualityColumn column in QualityColumn.All)
        {
            bool kdWins = kdBest.Contains(column.Header);
            Assert.Equal(kdWins, IsBold(Runs.Cell(report, "kd", column.Header)));
            Assert.Equal(!kdWins, IsBold(Runs.Cell(report, "sft", column.Header)));
        }
    }

    [Fact]
    public void Equal_best_means_are_both_bold()
    {
        string report = QualityReport.Build(Setup, [Runs.Make("kd", 1, perplexity: 10), Runs.Make("rkl", 1, perplexity: 10), Runs.Make("js", 1, perplexity: 11)]);

        Assert.True(IsBold(Runs.Cell(report, "kd", "held-out perplexity")));
        Assert.True(IsBold(Runs.Cell(report, "rkl", "held-out perplexity")));
        Assert.False(IsBold(Runs.Cell(report, "js", "held-out perplexity")));
    }

    [Fact]
    public void Speed_section_gives_seconds_per_thousand_tokens_and_each_distillm_speed_up_over_each_scheme()
    {
        string report = QualityReport.Build(Setup,
        [
            Runs.Make("onpolicy", 1, wallSeconds: 90, tokens: 10_000),
            Runs.Make("gkd", 1, wallSeconds: 30, tokens: 10_000),
            Runs.Make("gkd", 2, wallSeconds: 50, tokens: 10_000),
            Runs.Make("minillm", 1, wallSeconds: 120, tokens: 20_000),
            Runs.Make("distillm", 1, wallSeconds: 10, tokens: 10_000),
            Runs.Make("distillm", 2, wallSeconds: 40, tokens: 20_000),
            Runs.Make("distillm-on", 1, wallSeconds: 30, tokens: 10_000),
        ]);

        string speed = report[report.IndexOf("## Speed of the schemes", StringComparison.Ordinal)..];
        double onPolicy = 9.0, gkd = (3.0 + 5.0) / 2, minillm = 6.0, distillm = (1.0 + 2.0) / 2, distillmOn = 3.0;
        Assert.Contains($"| `onpolicy` | 1 | 9.000 | {onPolicy / distillm:F2}× | {onPolicy / distillmOn:F2}× |", speed);
        Assert.Contains($"| `gkd` | 2 | 4.000 ± {Math.Sqrt(2):F3} | {gkd / distillm:F2}× | {gkd / distillmOn:F2}× |", speed);
        Assert.Contains($"| `minillm` | 1 | 6.000 | {minillm / distillm:F2}× | {minillm / distillmOn:F2}× |", speed);
        Assert.Contains($"| `distillm` | 2 | 1.500 ± {Math.Sqrt(0.5):F3} | 1.00× | {distillm / distillmOn:F2}× |", speed);
        Assert.Contains($"| `distillm-on` | 1 | 3.000 | {distillmOn / distillm:F2}× | 1.00× |", speed);
    }

    [Fact]
    public void Speed_up_is_left_out_without_distillm_runs()
    {
        string report = QualityReport.Build(Setup, [Runs.Make("gkd", 1, wallSeconds: 30, tokens: 10_000)]);

        Assert.Contains("| `gkd` | 1 | 3.000 | — | — |", report);
        Assert.Contains($"| `distillm` | 0 | {QualityTable.NotRun} | — | — |", report);
        Assert.Contains($"| `distillm-on` | 0 | {QualityTable.NotRun} | — | — |", report);
    }

    [Fact]
    public void Setup_and_notes_are_in_the_report()
    {
        string report = QualityReport.Build(Setup, [Runs.Make("akl", 2, note: "loss spiked at step 40")]);

        Assert.Contains(Setup, report);
        Assert.Contains("- `akl` seed 2: loss spiked at step 40", report);
    }

    private static bool IsBold(string cell) => cell.StartsWith("**", StringComparison.Ordinal) && cell.EndsWith("**", StringComparison.Ordinal);
}
