using Distill.StudentTrainer.Export;
using ScottPlot;

namespace Distill.StudentTrainer.Evaluation;

/// <summary>
/// PNG plots of a run's <c>metrics.jsonl</c> (ScottPlot): <c>loss.png</c>, the training objective and its
/// cross-entropy and divergence parts against the step; <c>eval.png</c>, one panel per evaluation metric present
/// (validation perplexity on a log axis, KL to the teacher, top-1 agreement, ROUGE-L, calibration error).
/// Points whose value is NaN or ±∞ are left out. Files are replaced atomically, so a viewer never sees half a PNG.
/// </summary>
public static class TrainingPlots
{
    /// <summary>File name of the training-loss plot in a run folder.</summary>
    public const string LossFileName = "loss.png";

    /// <summary>File name of the evaluation plot in a run folder.</summary>
    public const string EvalFileName = "eval.png";

    /// <summary>Size of <c>loss.png</c> and the default size of <see cref="Save"/>, in pixels.</summary>
    public const int DefaultWidth = 900, DefaultHeight = 540;

    /// <summary>Size of one panel of <c>eval.png</c>, in pixels.</summary>
    public const int PanelWidth = 420, PanelHeight = 340;

    private const int PanelsPerRow = 3;

    private static readonly (string Name, string Title, bool LogY)[] TrainingSeries =
    [
        (MetricNames.Loss, "loss", false),
        (MetricNames.CrossEntropy, "cross-entropy", false),
        (MetricNames.Divergence, "divergence", false),
    ];

    private static readonly (string Name, string Title, bool LogY)[] EvalPanels =
    [
        (MetricNames.Perplexity, "validation perplexity", true),
        (MetricNames.TeacherKl, "KL(teacher ‖ student)", false),
        (MetricNames.Top1Agreement, "top-1 agreement with teacher", false),
        (MetricNames.RougeL, "ROUGE-L vs reference", false),
        (MetricNames.RougeLTeacher, "ROUGE-L vs teacher", false),
        (MetricNames.CalibrationError, "expected calibration error", false),
    ];

    /// <summary>
    /// Reads <c>metrics.jsonl</c> in <paramref name="runFolder"/> and writes <c>loss.png</c> (from the train records)
    /// and <c>eval.png</c> (from the eval records) beside it. A plot with nothing to show is not written, so an empty
    /// or missing log writes nothing.
    /// </summary>
    /// <returns>The paths written.</returns>
    public static IReadOnlyList<string> WriteAll(string runFolder)
    {
        IReadOnlyList<MetricsRecord> records = MetricsLog.ReadAll(runFolder);
        var written = new List<string>();

        var training = SeriesOf(records, MetricsRecord.Train, TrainingSeries);
        if (training.Count > 0)
        {
            string path = Path.Combine(runFolder, LossFileName);
            Save(path, "Training loss", "step", training.ToDictionary(s => s.Title, s => s.Points), yLabel: "nats per token");
            written.Add(path);
        }

        var evaluation = SeriesOf(records, MetricsRecord.Eval, EvalPanels);
        if (evaluation.Count > 0)
        {
            string path = Path.Combine(runFolder, EvalFileName);
            SavePanels(path, evaluation);
            written.Add(path);
        }
        return written;
    }

    /// <summary>Writes one PNG plot of named (x, y) series, one line each, with a legend.</summary>
    /// <param name="series">Series by legend name; empty series and non-finite points are left out.</param>
    /// <exception cref="ArgumentException">No series has a finite point.</exception>
    public static void Save(
        string path, string title, string xLabel, IReadOnlyDictionary<string, IReadOnlyList<(double X, double Y)>> series,
        int width = DefaultWidth, int height = DefaultHeight, string? yLabel = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(title);
        ArgumentNullException.ThrowIfNull(xLabel);
        ArgumentNullException.ThrowIfNull(series);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);

        using var plot = new Plot();
        int drawn = 0;
        foreach ((string name, IReadOnlyList<(double X, double Y)> points) in series)
        {
            if (AddLine(plot, points, logY: false) is { } line)
            {
                line.LegendText = name;
                drawn++;
            }
        }
        if (drawn == 0) throw new ArgumentException("There is no finite point to plot.", nameof(series));
        Label(plot, title, xLabel, yLabel);
        plot.ShowLegend(Alignment.UpperRight);
        WritePng(path, plot.GetImageBytes(width, height, ImageFormat.Png));
    }

    private static void SavePanels(string path, IReadOnlyList<(string Title, bool LogY, IReadOnlyList<(double X, double Y)> Points)> panels)
    {
        int columns = Math.Min(panels.Count, PanelsPerRow);
        int rows = (panels.Count + columns - 1) / columns;
        var figure = new Multiplot { Layout = new ScottPlot.MultiplotLayouts.Grid(rows, columns) };
        figure.RemovePlot(figure.GetPlot(0));
        var plots = new List<Plot>();
        try
        {
            foreach ((string title, bool wantsLogY, IReadOnlyList<(double X, double Y)> points) in panels)
            {
                var plot = new Plot();
                plots.Add(plot);
                bool logY = wantsLogY && SpansDecades(points);
                AddLine(plot, points, logY);
                if (logY) UseLogarithmicY(plot);
                Label(plot, title, "step", yLabel: null);
                figure.AddPlot(plot);
            }
            using Image image = figure.Render(columns * PanelWidth, rows * PanelHeight);
            WritePng(path, image.GetImageBytes(ImageFormat.Png, 100));
        }
        finally
        {
            foreach (Plot plot in plots) plot.Dispose();
        }
    }

    /// <summary>True when the values range over more than a factor of 20, so a log axis shows more than one power of ten.</summary>
    private static bool SpansDecades(IReadOnlyList<(double X, double Y)> points) =>
        points.Max(p => p.Y) >= 20 * points.Min(p => p.Y);

    /// <summary>The named series present in the records of one kind, each as (step, value) points, in the given order.</summary>
    private static List<(string Title, bool LogY, IReadOnlyList<(double X, double Y)> Points)> SeriesOf(
        IReadOnlyList<MetricsRecord> records, string kind, (string Name, string Title, bool LogY)[] wanted)
    {
        var found = new List<(string, bool, IReadOnlyList<(double, double)>)>();
        foreach ((string name, string title, bool logY) in wanted)
        {
            (double, double)[] points =
            [
                .. records
                    .Where(record => record.Kind == kind && record.Values.ContainsKey(name))
                    .Select(record => ((double)record.Step, record.Values[name]))
                    .Where(point => IsDrawable(point.Item2, logY)),
            ];
            if (points.Length > 0) found.Add((title, logY, points));
        }
        return found;
    }

    private static bool IsDrawable(double y, bool logY) => double.IsFinite(y) && (!logY || y > 0);

    /// <summary>Adds the drawable points as one line (with markers when there are few); null when none is drawable.</summary>
    private static ScottPlot.Plottables.Scatter? AddLine(Plot plot, IReadOnlyList<(double X, double Y)> points, bool logY)
    {
        (double X, double Y)[] drawable = [.. points.Where(p => double.IsFinite(p.X) && IsDrawable(p.Y, logY)).OrderBy(p => p.X)];
        if (drawable.Length == 0) return null;
        double[] xs = [.. drawable.Select(p => p.X)];
        double[] ys = [.. drawable.Select(p => logY ? Math.Log10(p.Y) : p.Y)];
        var line = plot.Add.Scatter(xs, ys);
        line.LineWidth = 2;
        line.MarkerSize = drawable.Length <= 60 ? 5 : 0;
        return line;
    }

    /// <summary>Labels the y axis of values plotted as log10(y) with the values themselves, ticks at powers of ten.</summary>
    private static void UseLogarithmicY(Plot plot)
    {
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = exponent => Math.Pow(10, exponent).ToString("G4", System.Globalization.CultureInfo.InvariantCulture),
        };
    }

    private static void Label(Plot plot, string title, string xLabel, string? yLabel)
    {
        plot.Title(title);
        plot.XLabel(xLabel);
        if (yLabel is not null) plot.YLabel(yLabel);
        plot.Font.Set(PlotFont.Family);
        plot.Legend.FontName = PlotFont.Family;
    }

    private static void WritePng(string path, byte[] png)
    {
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null) Directory.CreateDirectory(folder);
        AtomicFile.Write(path, stream => stream.Write(png));
    }
}
