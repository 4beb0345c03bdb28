using Distill.Bench.Quality;
using SkiaSharp;

namespace Distill.Bench.Tests.Quality;

public sealed class QualityChartTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("distill-quality-chart-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Writes_a_png_with_a_panel_per_figure_that_is_not_blank()
    {
        string path = Path.Combine(_folder, "nested", QualityChart.FileName);

        QualityChart.Write(path,
        [
            Runs.Make("sft", 1, perplexity: 135, kl: 0.74, rougeReference: 0.10),
            Runs.Make("kd", 1, perplexity: 110, kl: 0.45, rougeReference: 0.08),
            Runs.Make("kd", 2, perplexity: 114, kl: 0.47, rougeReference: 0.07),
            Runs.Make("distillm", 1, perplexity: double.NaN),
        ]);

        byte[] bytes = File.ReadAllBytes(path);
        Assert.Equal("PNG"u8.ToArray(), bytes[1..4]);
        using SKBitmap bitmap = SKBitmap.Decode(bytes);
        Assert.Equal(QualityChart.Width, bitmap.Width);
        Assert.Equal(3 * QualityChart.PanelHeight, bitmap.Height);
        SKColor background = bitmap.GetPixel(0, 0);
        int drawn = bitmap.Pixels.Count(pixel => pixel != background);
        Assert.True(drawn > bitmap.Width * bitmap.Height / 100, $"only {drawn} pixels differ from the background");
    }

    [Fact]
    public void Refuses_runs_of_no_method_of_the_table()
    {
        string path = Path.Combine(_folder, QualityChart.FileName);

        Assert.Throws<ArgumentException>(() => QualityChart.Write(path, [Runs.Make("fkl", 1)]));
        Assert.False(File.Exists(path));
    }
}
