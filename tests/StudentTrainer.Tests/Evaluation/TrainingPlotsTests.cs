using Distill.StudentTrainer.Evaluation;
using SkiaSharp;

namespace Distill.StudentTrainer.Tests.Evaluation;

public sealed class TrainingPlotsTests : IDisposable
{
    private static readonly byte[] PngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    private readonly string _folder = Directory.CreateTempSubdirectory("distill-plots-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>Asserts a PNG of the given size with a fair share of pixels unlike its background (the corner pixel).</summary>
    private static void AssertDrawnPng(string path, int width, int height)
    {
        byte[] bytes = File.ReadAllBytes(path);
        Assert.Equal(PngSignature, bytes[..PngSignature.Length]);
        using SKBitmap bitmap = SKBitmap.Decode(bytes);
        Assert.NotNull(bitmap);
        Assert.Equal(width, bitmap.Width);
        Assert.Equal(height, bitmap.Height);
        SKColor background = bitmap.GetPixel(0, 0);
        int drawn = bitmap.Pixels.Count(pixel => pixel != background);
        Assert.True(drawn > width * height / 200, $"only {drawn} of {width * height} pixels differ from the background");
    }

    private static IReadOnlyList<(double X, double Y)> Curve(int count, Func<int, double> y) =>
        [.. Enumerable.Range(0, count).Select(i => ((double)i * 10, y(i)))];

    private void WriteLog(Action<MetricsLog> write)
    {
        using var log = MetricsLog.Open(_folder);
        write(log);
    }

    [Fact]
    public void Save_writes_a_png_of_the_requested_size_that_is_not_blank()
    {
        string path = Path.Combine(_folder, "custom.png");
        TrainingPlots.Save(path, "Learning rate", "step", new Dictionary<string, IReadOnlyList<(double X, double Y)>>
        {
            ["lr"] = Curve(50, i => Math.Min(i, 10) * 1e-4),
            ["nothing"] = [],
            ["gaps"] = [(0, double.NaN), (10, 5e-4), (20, double.PositiveInfinity), (30, 6e-4)],
        }, width: 640, height: 360);

        AssertDrawnPng(path, 640, 360);
    }

    [Fact]
    public void Save_refuses_series_without_a_finite_point()
    {
        string path = Path.Combine(_folder, "empty.png");
        Assert.Throws<ArgumentException>(() => TrainingPlots.Save(path, "t", "x",
            new Dictionary<string, IReadOnlyList<(double X, double Y)>> { ["a"] = [], ["b"] = [(1, double.NaN)] }));
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Write_all_draws_the_loss_and_eval_plots_of_a_log()
    {
        WriteLog(log =>
        {
            for (int step = 0; step <= 200; step += 5)
            {
                double ce = 4 * Math.Exp(-step / 60.0) + 1;
                double divergence = 2 * Math.Exp(-step / 40.0) + 0.1;
                log.Append(step, MetricsRecord.Train,
                    (MetricNames.Loss, 0.5 * ce + 0.5 * divergence), (MetricNames.CrossEntropy, ce), (MetricNames.Divergence, divergence));
                if (step % 50 == 0)
                {
                    log.Append(step, MetricsRecord.Eval,
                        (MetricNames.Perplexity, Math.Exp(ce)), (MetricNames.TeacherKl, divergence), (MetricNames.Top1Agreement, 1 - divergence / 3));
                }
            }
        });

        IReadOnlyList<string> written = TrainingPlots.WriteAll(_folder);

        string loss = Path.Combine(_folder, TrainingPlots.LossFileName);
        string eval = Path.Combine(_folder, TrainingPlots.EvalFileName);
        Assert.Equal([loss, eval], written);
        AssertDrawnPng(loss, TrainingPlots.DefaultWidth, TrainingPlots.DefaultHeight);
        AssertDrawnPng(eval, 3 * TrainingPlots.PanelWidth, TrainingPlots.PanelHeight);
    }

    [Fact]
    public void Write_all_skips_missing_series_and_plots_without_points()
    {
        WriteLog(log =>
        {
            log.Append(1, MetricsRecord.Train, (MetricNames.Loss, 3.0));
            log.Append(2, MetricsRecord.Train, (MetricNames.Loss, double.NaN));
            log.Append(3, MetricsRecord.Train, (MetricNames.Loss, 2.0));
            log.Append(3, MetricsRecord.Eval, (MetricNames.Perplexity, double.NaN));
        });

        IReadOnlyList<string> written = TrainingPlots.WriteAll(_folder);

        Assert.Equal([Path.Combine(_folder, TrainingPlots.LossFileName)], written);
        Assert.False(File.Exists(Path.Combine(_folder, TrainingPlots.EvalFileName)));
    }

    [Fact]
    public void Eval_plot_has_one_panel_per_metric_present()
    {
        WriteLog(log =>
        {
            for (int step = 0; step < 4; step++)
            {
                log.Append(step, MetricsRecord.Eval, (MetricNames.TeacherKl, 1.0 / (step + 1)), (MetricNames.RougeL, 0.1 * step),
                    (MetricNames.CalibrationError, 0.05), (MetricNames.Perplexity, 50 - step), (MetricNames.Top1Agreement, 0.5));
            }
        });

        TrainingPlots.WriteAll(_folder);

        AssertDrawnPng(Path.Combine(_folder, TrainingPlots.EvalFileName), 3 * TrainingPlots.PanelWidth, 2 * TrainingPlots.PanelHeight);
        Assert.False(File.Exists(Path.Combine(_folder, TrainingPlots.LossFileName)));
    }

    [Fact]
    public void Eval_plot_draws_a_single_point_and_a_narrow_perplexity_range()
    {
        WriteLog(log =>
        {
            log.Append(100, MetricsRecord.Eval, (MetricNames.Perplexity, 61.5), (MetricNames.TeacherKl, 0.4));
            log.Append(200, MetricsRecord.Eval, (MetricNames.Perplexity, 58.25));
        });

        TrainingPlots.WriteAll(_folder);

        AssertDrawnPng(Path.Combine(_folder, TrainingPlots.EvalFileName), 2 * TrainingPlots.PanelWidth, TrainingPlots.PanelHeight);
    }

    [Fact]
    public void An_empty_or_missing_log_writes_nothing()
    {
        Assert.Empty(TrainingPlots.WriteAll(Path.Combine(_folder, "no-run")));
        File.WriteAllText(MetricsLog.PathIn(_folder), "");
        Assert.Empty(TrainingPlots.WriteAll(_folder));
        Assert.Equal([MetricsLog.FileName], Directory.GetFiles(_folder).Select(Path.GetFileName));
    }

    [Fact]
    public void Text_can_be_drawn_in_the_plot_font()
    {
        using SKTypeface typeface = PlotFont.Typeface();
        Assert.Equal(PlotFont.BundledFamily, typeface.FamilyName);
        using var font = new SKFont(typeface, 24);
        using var bitmap = new SKBitmap(120, 40);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.White);
            using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
            canvas.DrawText("step", 4, 30, font, ink);
        }
        Assert.True(bitmap.Pixels.Count(pixel => pixel.Red < 128) > 50, "the word 'step' drew (almost) no dark pixels");
    }
}
