using Distill.StudentTrainer.Evaluation;
using Distill.StudentTrainer.Export;
using ScottPlot;

namespace Distill.Bench.Quality;

/// <summary>
/// <c>quality.png</c>: one panel each for held-out perplexity, KL to the teacher and ROUGE-L vs reference, with a
/// bar per method (mean over seeds, coloured by <see cref="QualityMethodKind"/>) and an error bar of the sample std;
/// methods without runs keep their place, empty.
/// </summary>
public static class QualityChart
{
    public const string FileName = "quality.png";

    public const int Width = 1000, PanelHeight = 300;

    private static readonly (string Title, Func<QualityResult, double> Value)[] Panels =
    [
        ("held-out perplexity (lower is better)", run => run.ValidationPerplexity),
        ("KL(teacher ‖ student) (lower is better)", run => run.KlToTeacher),
        ("ROUGE-L vs reference (higher is better)", run => run.RougeLReference),
    ];

    private static readonly (QualityMethodKind Kind, string Label, Color Color)[] Kinds =
    [
        (QualityMethodKind.Baseline, "cross-entropy", Colors.Gray),
        (QualityMethodKind.TokenLevel, "divergence on gold text", new Color(31, 119, 180)),
        (QualityMethodKind.Generated, "generated sequences", new Color(255, 127, 14)),
    ];

    /// <summary>Writes the chart of <paramref name="runs"/> to <paramref name="path"/>, replacing the file atomically.</summary>
    /// <param name="runs">Stored runs in file order; a later run of a (method, seed) pair replaces an earlier one.</param>
    /// <exception cref="ArgumentException">No run is of a method of <see cref="QualityMethods"/>.</exception>
    public static void Write(string path, IEnumerable<QualityResult> runs)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(runs);
        QualityResult[] latest = [.. StoredRuns.LatestOf(runs).Where(run => QualityMethods.IsKnown(run.Method))];
        if (latest.Length == 0) throw new ArgumentException("There is no run of a method of the table to chart.", nameof(runs));

        var figure = new Multiplot { Layout = new ScottPlot.MultiplotLayouts.Grid(Panels.Length, 1) };
        figure.RemovePlot(figure.GetPlot(0));
        var plots = new List<Plot>();
        try
        {
            foreach ((string title, Func<QualityResult, double> value) in Panels)
            {
                var plot = new Plot();
                bool first = plots.Count == 0;
                plots.Add(plot);
                // The first panel carries the legend in its upper left, above the bars.
                Draw(plot, title, latest, value, headroom: first ? 0.4 : 0.1);
                if (first) AddLegend(plot);
                figure.AddPlot(plot);
            }
            using Image image = figure.Render(Width, Panels.Length * PanelHeight);
            byte[] png = image.GetImageBytes(ImageFormat.Png, 100);
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            AtomicFile.Write(path, stream => stream.Write(png));
        }
        finally
        {
            foreach (Plot plot in plots) plot.Dispose();
        }
    }

    /// <param name="headroom">Share of the panel's height left empty above the tallest bar.</param>
    private static void Draw(Plot plot, string title, IReadOnlyList<QualityResult> runs, Func<QualityResult, double> value, double headroom)
    {
        var bars = new List<Bar>();
        for (int row = 0; row < QualityMethods.All.Count; row++)
        {
            QualityMethod method = QualityMethods.All[row];
            double[] values = [.. runs.Where(run => run.Method == method.Name).Select(value).Where(double.IsFinite)];
            if (values.Length == 0) continue;
            MeanStd figure = MeanStd.Of(values);
            bars.Add(new Bar
            {
                Position = row,
                Value = figure.Mean,
                Error = double.IsNaN(figure.Std) ? 0 : figure.Std,
                FillColor = Kinds.Single(kind => kind.Kind == method.Kind).Color,
            });
        }
        plot.Add.Bars(bars);
        double[] positions = [.. Enumerable.Range(0, QualityMethods.Names.Count).Select(row => (double)row)];
        plot.Axes.Bottom.SetTicks(positions, [.. QualityMethods.Names]);
        plot.Axes.Margins(bottom: 0, top: headroom);
        plot.Axes.SetLimitsX(-0.6, QualityMethods.Names.Count - 0.4);
        plot.Title(title);
        plot.Font.Set(PlotFont.Family);
    }

    private static void AddLegend(Plot plot)
    {
        foreach ((_, string label, Color color) in Kinds)
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = label, FillColor = color });
        plot.Legend.FontName = PlotFont.Family;
        plot.ShowLegend(Alignment.UpperLeft);
    }
}
