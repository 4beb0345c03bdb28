using System.Globalization;

namespace Distill.Bench.Quality;

/// <summary>A figure of the quality table: its header, how it is read from a run, which way is better and how it is printed.</summary>
/// <param name="Format">A .NET numeric format string, applied with the invariant culture.</param>
public sealed record QualityColumn(string Header, Func<QualityResult, double> Value, bool LowerIsBetter, string Format)
{
    /// <summary>The columns of the quality table, in order.</summary>
    public static IReadOnlyList<QualityColumn> All { get; } =
    [
        new("held-out perplexity", run => run.ValidationPerplexity, LowerIsBetter: true, "F2"),
        new("KL to teacher", run => run.KlToTeacher, LowerIsBetter: true, "F4"),
        new("top-1 agreement (%)", run => 100 * run.Top1Agreement, LowerIsBetter: false, "F1"),
        new("ECE", run => run.CalibrationError, LowerIsBetter: true, "F4"),
        new("ROUGE-L vs reference", run => run.RougeLReference, LowerIsBetter: false, "F4"),
        new("ROUGE-L vs teacher", run => run.RougeLTeacher, LowerIsBetter: false, "F4"),
        new("wall time (s)", run => run.WallSeconds, LowerIsBetter: true, "N0"),
        new("tokens/s", run => run.TokensPerSecond, LowerIsBetter: false, "N0"),
    ];

    /// <summary>"mean ± std", or the mean alone when the deviation is undefined (one value).</summary>
    public string Print(MeanStd figure) => PrintMeanStd(figure, Format);

    /// <summary>"mean ± std" in <paramref name="format"/>, or the mean alone when the deviation is undefined (one value).</summary>
    public static string PrintMeanStd(MeanStd figure, string format)
    {
        string mean = figure.Mean.ToString(format, CultureInfo.InvariantCulture);
        return double.IsNaN(figure.Std) ? mean : $"{mean} ± {figure.Std.ToString(format, CultureInfo.InvariantCulture)}";
    }

    /// <summary>True when <paramref name="mean"/> is at least as good as every mean of <paramref name="means"/> (non-finite means never are).</summary>
    public bool IsBest(double mean, IEnumerable<double> means)
    {
        if (!double.IsFinite(mean)) return false;
        IEnumerable<double> finite = means.Where(double.IsFinite);
        return LowerIsBetter ? finite.All(other => mean <= other) : finite.All(other => mean >= other);
    }
}
